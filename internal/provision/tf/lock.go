package tf

import (
	"bufio"
	"fmt"
	"regexp"
	"strings"
)

// ansi matches terminal colour sequences: some terraform commands (state
// push) colour their errors even when not on a terminal.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// StripANSI removes terminal colour sequences from terraform's output.
func StripANSI(s string) string { return ansi.ReplaceAllString(s, "") }

// LockError says that another operation holds the Terraform state lock. It
// replaces terraform's raw "Error acquiring the state lock" output with who
// holds the lock, since when, its ID and how to release it.
type LockError struct {
	ID        string
	Path      string
	Operation string
	Who       string
	Version   string
	Created   string
	Info      string
}

func (e *LockError) Error() string {
	var b strings.Builder
	b.WriteString("the Terraform state is locked by another operation")
	if e.Who != "" {
		fmt.Fprintf(&b, "\n  held by:   %s", e.Who)
	}
	if e.Created != "" {
		fmt.Fprintf(&b, "\n  since:     %s", e.Created)
	}
	if e.Operation != "" {
		fmt.Fprintf(&b, "\n  operation: %s", e.Operation)
	}
	if e.ID != "" {
		fmt.Fprintf(&b, "\n  lock ID:   %s", e.ID)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, "\n  state:     %s", e.Path)
	}
	if e.Version != "" {
		fmt.Fprintf(&b, "\n  terraform: %s", e.Version)
	}
	if e.Info != "" {
		fmt.Fprintf(&b, "\n  info:      %s", e.Info)
	}
	b.WriteString("\nWait for that operation to finish (or pass a longer --lock-timeout)")
	if e.ID != "" {
		fmt.Fprintf(&b, "; if it crashed and nothing runs any more, release the lock with `TF_DATA_DIR=.terraform/environments/ENV terraform force-unlock %s` in the Terraform directory (provision keeps each environment's working data there)", e.ID)
	} else {
		b.WriteString("; if it crashed and nothing runs any more, release the lock with `TF_DATA_DIR=.terraform/environments/ENV terraform force-unlock LOCK_ID` in the Terraform directory (provision keeps each environment's working data there)")
	}
	return b.String()
}

// ParseLockError finds terraform's "Error acquiring the state lock" report in
// its output and returns the lock it names. Terraform prints the lock as
// indented "Key: value" lines under "Lock Info:"; no library parses this
// human-oriented output, so it is read here line by line.
func ParseLockError(output string) (*LockError, bool) {
	output = StripANSI(output)
	if !strings.Contains(output, "Error acquiring the state lock") &&
		!strings.Contains(output, "Error locking state") {
		return nil, false
	}
	le := &LockError{}
	inInfo := false
	sc := bufio.NewScanner(strings.NewReader(StripANSI(output)))
	for sc.Scan() {
		// Coloured or boxed diagnostics prefix lines with "│ ".
		line := strings.TrimSpace(strings.TrimLeft(sc.Text(), "│╷╵ "))
		if line == "Lock Info:" {
			inInfo = true
			continue
		}
		if !inInfo {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			if line == "" {
				continue
			}
			break
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "ID":
			le.ID = value
		case "Path":
			le.Path = value
		case "Operation":
			le.Operation = value
		case "Who":
			le.Who = value
		case "Version":
			le.Version = value
		case "Created":
			le.Created = value
		case "Info":
			le.Info = value
		default:
			inInfo = false
		}
	}
	return le, true
}
