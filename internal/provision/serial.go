package provision

import (
	"encoding/json"
	"fmt"
)

// withSerial returns the state with its serial replaced, keeping every other
// field as it was (json.RawMessage values are copied verbatim).
func withSerial(state []byte, serial int64) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(state, &m); err != nil {
		return nil, fmt.Errorf("not a Terraform state (JSON): %w", err)
	}
	s, _ := json.Marshal(serial)
	m["serial"] = s
	return json.MarshalIndent(m, "", "  ")
}
