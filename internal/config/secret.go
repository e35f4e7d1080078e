package config

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SecretRef points at a secret instead of holding it: {env: VARIABLE} or
// {file: /path}. Its errors name the variable or file, never the value.
type SecretRef struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// UnmarshalYAML refuses an inline secret without repeating it.
func (s *SecretRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &Error{Line: n.Line, Msg: "secrets cannot be written inline",
			Hint: "reference it as {env: VARIABLE} or {file: /path}, and remove the value from this file"}
	}
	type plain SecretRef
	return n.Decode((*plain)(s))
}

// Validate returns what is wrong with the reference, or "".
func (s *SecretRef) Validate() string {
	switch {
	case s.Env == "" && s.File == "":
		return "names neither env nor file"
	case s.Env != "" && s.File != "":
		return "names both env and file"
	}
	return ""
}

// String describes the reference, never the secret.
func (s *SecretRef) String() string {
	if s.Env != "" {
		return "environment variable " + s.Env
	}
	return "file " + s.File
}

// Value reads the secret now (a file is re-read on every call, so a rotated
// token is picked up on the next refresh or reload).
func (s *SecretRef) Value() (string, error) {
	if s.Env != "" {
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("secret %s is not set", s)
		}
		return v, nil
	}
	b, err := os.ReadFile(s.File)
	if err != nil {
		return "", fmt.Errorf("reading secret from %s: %w", s, unwrapPathError(err))
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("secret %s is empty", s)
	}
	return v, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
