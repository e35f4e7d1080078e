package shard

import (
	"fmt"
	"testing"
)

// Every UID belongs to exactly one shard, for every shard count, and the
// split is roughly even (kube-state-metrics' FNV-1a scheme).
func TestEveryUIDHasExactlyOneShard(t *testing.T) {
	for total := 1; total <= 5; total++ {
		counts := make([]int, total)
		for i := range 3000 {
			uid := fmt.Sprintf("3f0c2a1e-%04d-4c5b-9a8e-%012d", i%97, i)
			owners := 0
			for idx := range total {
				if (Shard{Index: idx, Total: total}).Owns(uid) {
					owners++
					counts[idx]++
				}
			}
			if owners != 1 {
				t.Fatalf("total %d: uid %s has %d owners", total, uid, owners)
			}
		}
		for idx, n := range counts {
			if want := 3000 / total; n < want*8/10 || n > want*12/10 {
				t.Errorf("total %d: shard %d owns %d of 3000 (want about %d)", total, idx, n, want)
			}
		}
	}
}

func TestOrdinalAndValidate(t *testing.T) {
	sts, n, err := Ordinal("vigil-exporter-12")
	if err != nil || sts != "vigil-exporter" || n != 12 {
		t.Fatalf("got %q %d %v", sts, n, err)
	}
	for _, bad := range []string{"vigil", "vigil-x", "-1", "vigil-+1"} {
		if _, _, err := Ordinal(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if err := (Shard{Index: 3, Total: 3}).Validate(); err == nil {
		t.Error("--shard=3 of 3 accepted")
	}
	if err := (Shard{Index: 0, Total: 0}).Validate(); err == nil {
		t.Error("--total-shards=0 accepted")
	}
	if err := (Shard{Index: 2, Total: 3}).Validate(); err != nil {
		t.Error(err)
	}
}
