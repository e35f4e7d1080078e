// Package config is Vigil's configuration file: its schema, defaults and
// validation. Every error names the file, the line and the field, and says
// what to do; secrets are only ever referenced (environment variable or
// file), never written inline.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole file: the environment, and one section per collector
// (or provider) that the file names. Each section belongs to a package that
// registered it (internal/collector) and decodes and validates it itself;
// this package locates every error by file, line and field. See
// examples/vigil.yml for every field, documented.
type Config struct {
	// Environment becomes the environment label on every series.
	Environment string
	// Sections holds the decoded, defaulted and validated sections present
	// in the file, by key. A section absent from the file is absent here.
	Sections map[string]Section
}

// Section is one top-level section, decoded from YAML into its owner's type.
type Section interface {
	// Validate reports every problem, with Field relative to the section
	// ("cluster", "namespaces.include[0]"); Parse adds the section's key,
	// the file and the line.
	Validate() []*Error
}

// Defaulter is a Section that fills in defaults before validation.
type Defaulter interface{ ApplyDefaults() }

// CrossValidator is a Section whose validity depends on other sections of
// the same file (expiry's access_probes reads the access section's probes):
// Parse calls it after every section was defaulted and validated on its
// own, so --config.check and a reload refuse what the daemon would refuse
// at build. others holds every section of the file, the caller's included;
// it must not be modified. Fields are relative to the section, as in
// Validate.
type CrossValidator interface {
	ValidateWith(others map[string]Section) []*Error
}

// SectionKind is a section the file may hold: its key and an empty value of
// its type to decode into (a pointer).
type SectionKind struct {
	Key string
	New func() Section
	// Provider marks a cloud's credentials section (ionos, aws): a file of
	// providers alone names no collector.
	Provider bool
}

// Duration is a time.Duration written as "30s", "5m" or "1h".
type Duration time.Duration

// UnmarshalYAML parses Go duration strings with a clear error.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return &Error{Line: n.Line, Msg: fmt.Sprintf("%q is not a duration", n.Value), Hint: `write a number with a unit, such as "30s", "5m" or "1h"`}
	}
	*d = Duration(v)
	return nil
}

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MinInterval is the shortest refresh interval a section may ask for.
const MinInterval = time.Second

// Error is one problem in the file, located precisely.
type Error struct {
	File  string
	Line  int
	Field string // dotted path, e.g. kubernetes.probe_interval
	Msg   string
	Hint  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (hint: " + e.Hint + ")")
	}
	return b.String()
}

// Load reads and validates a configuration file holding the given kinds of
// sections.
func Load(path string, kinds []SectionKind) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(data, path, kinds)
}

// Parse validates a configuration held in memory; file names it in errors.
//
// The file is decoded in one pass into a struct type built from the known
// sections (reflect.StructOf), so yaml's strict mode reports an unknown field
// at any depth with its line, and an unknown top-level key is an unknown
// section.
func Parse(data []byte, file string, kinds []SectionKind) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	fields := []reflect.StructField{{Name: "Environment", Type: reflect.TypeFor[string](), Tag: `yaml:"environment"`}}
	for i, k := range kinds {
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("Section%d", i), Type: reflect.TypeOf(k.New()), Tag: reflect.StructTag(`yaml:"` + k.Key + `"`)})
	}
	doc := reflect.New(reflect.StructOf(fields))
	if root.Kind != 0 {
		dec = yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true) // a typo is an error, not a silently ignored field
		if err := dec.Decode(doc.Interface()); err != nil {
			return nil, decodeError(file, &root, err, kinds)
		}
	}
	cfg := &Config{Environment: doc.Elem().Field(0).String(), Sections: map[string]Section{}}
	errs := cfg.validateEnvironment()
	errs = append(errs, emptySections(&root)...)
	for i, k := range kinds {
		v := doc.Elem().Field(i + 1)
		if v.IsNil() {
			continue
		}
		sec := v.Interface().(Section)
		if d, ok := sec.(Defaulter); ok {
			d.ApplyDefaults()
		}
		for _, e := range sec.Validate() {
			e.Field = joinField(k.Key, e.Field)
			errs = append(errs, e)
		}
		cfg.Sections[k.Key] = sec
	}
	for _, k := range kinds {
		if cv, ok := cfg.Sections[k.Key].(CrossValidator); ok {
			for _, e := range cv.ValidateWith(cfg.Sections) {
				e.Field = joinField(k.Key, e.Field)
				errs = append(errs, e)
			}
		}
	}
	collectors := 0
	for _, k := range kinds {
		if cfg.Has(k.Key) && !k.Provider {
			collectors++
		}
	}
	if collectors == 0 {
		errs = append(errs, &Error{Msg: "names no collector", Hint: "add at least one section: " + KnownKeys(kinds) + " (see examples/vigil.yml)"})
	}
	if len(errs) > 0 {
		for _, e := range errs {
			e.File = file
			if e.Line == 0 {
				e.Line = lineOf(&root, e.Field)
			}
		}
		return nil, joinErrors(errs)
	}
	return cfg, nil
}

func joinField(section, field string) string {
	if field == "" {
		return section
	}
	return section + "." + field
}

// Has reports whether the file holds the section.
func (c *Config) Has(key string) bool { _, ok := c.Sections[key]; return ok }

var labelValue = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidLabelValue reports whether v is a plain name fit for a label that
// identifies something (environment, cluster, account).
func ValidLabelValue(v string) bool { return labelValue.MatchString(v) }

func (c *Config) validateEnvironment() []*Error {
	var errs []*Error
	if c.Environment == "" {
		errs = append(errs, &Error{Field: "environment", Msg: "is required", Hint: "name the environment this exporter watches, e.g. production; it becomes the environment label"})
	} else if !labelValue.MatchString(c.Environment) {
		errs = append(errs, &Error{Field: "environment", Msg: fmt.Sprintf("%q is not a plain name", c.Environment), Hint: "use letters, digits, '-', '_' or '.'"})
	}
	return errs
}

// KnownKeys lists the top-level keys a file may hold, for hints.
func KnownKeys(kinds []SectionKind) string {
	keys := []string{"environment"}
	for _, k := range kinds {
		keys = append(keys, k.Key)
	}
	sort.Strings(keys[1:])
	return strings.Join(keys, ", ")
}

func joinErrors(errs []*Error) error {
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// yamlError turns a syntax error into an Error with its line.
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &line)
		msg = strings.TrimSpace(yamlLine.ReplaceAllString(msg, ""))
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &Error{File: file, Line: line, Msg: msg, Hint: "check the indentation and quoting around this line"}
}

var yamlLine = regexp.MustCompile(`line (\d+):?`)

// decodeError turns a decode error (unknown field, wrong type, our own field
// errors) into Errors naming the line and, where it can, the field.
func decodeError(file string, root *yaml.Node, err error, kinds []SectionKind) error {
	var own *Error
	if errors.As(err, &own) {
		own.File = file
		own.Field = fieldAtLine(root, own.Line)
		return own
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return yamlError(file, err)
	}
	var errs []*Error
	for _, m := range te.Errors {
		e := &Error{File: file, Msg: m}
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			fmt.Sscan(sub[1], &e.Line)
			e.Msg = strings.TrimSpace(yamlLine.ReplaceAllString(m, ""))
		}
		if f := unknownField.FindStringSubmatch(e.Msg); f != nil {
			e.Msg = fmt.Sprintf("unknown field %q", f[1])
			e.Hint = "check the spelling; examples/vigil.yml lists every field"
			if isTopLevel(root, e.Line) {
				e.Msg = fmt.Sprintf("unknown section %q", f[1])
				e.Hint = "the known sections are " + KnownKeys(kinds) + "; examples/vigil.yml documents each"
			}
		} else {
			e.Hint = "see examples/vigil.yml for the expected type"
		}
		e.Field = fieldAtLine(root, e.Line)
		errs = append(errs, e)
	}
	return joinErrors(errs)
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type`)

// emptySections finds top-level keys written with nothing under them
// (`kubernetes:` alone): decoded, they would silently mean "absent", and the
// collector the user meant to configure would not run.
func emptySections(root *yaml.Node) []*Error {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var errs []*Error
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value != "environment" && v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			errs = append(errs, &Error{Line: k.Line, Field: k.Value, Msg: "is empty",
				Hint: "fill in its fields (examples/vigil.yml), or remove the section to disable it"})
		}
	}
	return errs
}

// isTopLevel reports whether a key of the document's top-level mapping sits
// on line.
func isTopLevel(root *yaml.Node, line int) bool {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return false
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Line == line {
			return true
		}
	}
	return false
}
