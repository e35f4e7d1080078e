package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Fingerprinter is a Section that names more of what its collectors depend
// on than its own fields: the contents of files it points at (a kubeconfig,
// a CA bundle), which can change while the path stays the same.
type Fingerprinter interface {
	FingerprintFiles() []string
}

// Fingerprint identifies everything a section's collector depends on: the
// environment, the section's fields, the values its secret references
// resolve to now, and the contents of the files it names. A reload keeps a
// collector, its caches and its snapshots, when the fingerprint is unchanged,
// so a rotated token file plus SIGHUP rebuilds exactly the collectors that
// use it. Secrets and file contents enter only as SHA-256 digests.
func Fingerprint(environment string, sec Section) string {
	h := sha256.New()
	fmt.Fprintf(h, "environment=%q\n", environment)
	if b, err := yaml.Marshal(sec); err == nil {
		h.Write(b)
	} else {
		fmt.Fprintf(h, "%#v", sec)
	}
	walkSecrets(reflect.ValueOf(sec), func(ref *SecretRef) {
		v, err := ref.Value()
		sum := sha256.Sum256([]byte(v))
		fmt.Fprintf(h, "secret %s=%x err=%v\n", ref, sum, err != nil)
	})
	if f, ok := sec.(Fingerprinter); ok {
		for _, p := range f.FingerprintFiles() {
			b, err := os.ReadFile(p)
			sum := sha256.Sum256(b)
			fmt.Fprintf(h, "file %s=%x err=%v\n", p, sum, err != nil)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

var secretRefType = reflect.TypeFor[*SecretRef]()

// walkSecrets calls f for every non-nil *SecretRef reachable from v.
func walkSecrets(v reflect.Value, f func(*SecretRef)) {
	if !v.IsValid() {
		return
	}
	if v.Type() == secretRefType {
		if !v.IsNil() {
			f(v.Interface().(*SecretRef))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkSecrets(v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkSecrets(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkSecrets(v.Index(i), f)
		}
	case reflect.Map:
		// In key order: the fingerprint must not change from one reload
		// to the next because Go iterates maps at random.
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface()) })
		for _, k := range keys {
			walkSecrets(v.MapIndex(k), f)
		}
	}
}

// Combine folds several fingerprints into one.
func Combine(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%q\n", p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
