package tf

import "testing"

func TestParseLockError(t *testing.T) {
	// Terraform's boxed, coloured-off form, as `terraform plan` prints it to a terminal.
	out := `╷
│ Error: Error acquiring the state lock
│
│ Error message: ConditionalCheckFailedException
│ Lock Info:
│   ID:        6f1c7e0e-4b5e-2a1d-9a38-8a0b0e0f1c2d
│   Path:      vigil-state/production/terraform.tfstate
│   Operation: OperationTypePlan
│   Who:       alice@laptop
│   Version:   1.11.4
│   Created:   2026-11-22 10:00:00.123 +0000 UTC
│   Info:      nightly drift
│
│ Terraform acquires a state lock to protect the state from being written
╵`
	le, ok := ParseLockError(out)
	if !ok {
		t.Fatal("not recognised")
	}
	want := LockError{ID: "6f1c7e0e-4b5e-2a1d-9a38-8a0b0e0f1c2d", Path: "vigil-state/production/terraform.tfstate",
		Operation: "OperationTypePlan", Who: "alice@laptop", Version: "1.11.4",
		Created: "2026-11-22 10:00:00.123 +0000 UTC", Info: "nightly drift"}
	if *le != want {
		t.Fatalf("parsed %+v, want %+v", *le, want)
	}
	// `terraform state push` colours its report even without a terminal.
	coloured := "\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mError acquiring the state lock\x1b[0m\n" +
		"\x1b[31m│\x1b[0m \x1b[0mLock Info:\n" +
		"\x1b[31m│\x1b[0m \x1b[0m  ID:        4a6d45ee-8591-d6a5-831b-1049325b54c2\n" +
		"\x1b[31m│\x1b[0m \x1b[0m  Who:       root@vm\n"
	le, ok = ParseLockError(coloured)
	if !ok || le.ID != "4a6d45ee-8591-d6a5-831b-1049325b54c2" || le.Who != "root@vm" {
		t.Fatalf("coloured report parsed as %+v, %v", le, ok)
	}
	if _, ok := ParseLockError("Error: Invalid reference"); ok {
		t.Fatal("an unrelated error was taken for a lock error")
	}
}
