package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineOf finds the line of a dotted field path (kubernetes.namespaces.include[0])
// in the parsed document, or of its nearest existing parent. yaml.v3 keeps
// positions only on nodes, so validation errors look them up here.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(path, ".") {
		name, index := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			index, _ = strconv.Atoi(strings.TrimSuffix(part[i+1:], "]"))
		}
		key, next := mappingEntry(n, name)
		if next == nil {
			return line // the nearest parent that exists
		}
		line = key.Line
		if index >= 0 && next.Kind == yaml.SequenceNode && index < len(next.Content) {
			next = next.Content[index]
			line = next.Line
		}
		n = next
	}
	return line
}

func mappingEntry(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// fieldAtLine names the dotted path of the key or value found on a line.
func fieldAtLine(root *yaml.Node, line int) string {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	var walk func(n *yaml.Node, prefix string) string
	walk = func(n *yaml.Node, prefix string) string {
		if n.Kind != yaml.MappingNode {
			return ""
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			if k.Line == line {
				return path
			}
			if found := walk(v, path); found != "" {
				return found
			}
			if v.Line == line {
				return path
			}
		}
		return ""
	}
	return walk(n, "")
}
