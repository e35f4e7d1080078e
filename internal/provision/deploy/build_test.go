package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildOrdersNamespaceFirst(t *testing.T) {
	objs, err := Build(filepath.Join("..", "testdata", "overlay", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind())
		if o.GetKind() != "Namespace" && o.GetNamespace() != "provision-fixture" {
			t.Errorf("%s %s not in the overlay's namespace", o.GetKind(), o.GetName())
		}
		if o.GetLabels()["environment"] != "dev" {
			t.Errorf("%s %s lacks the overlay's label", o.GetKind(), o.GetName())
		}
	}
	if len(kinds) != 4 || kinds[0] != "Namespace" {
		t.Fatalf("kinds = %v, want 4 objects with the Namespace first", kinds)
	}
}

func TestBuildErrorsNameTheOverlay(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n  - missing.yaml\n"), 0o644)
	_, err := Build(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want one naming %s", err, dir)
	}
}
