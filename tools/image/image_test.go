package main

import (
	"archive/tar"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

const caFile = "/etc/ssl/certs/ca-certificates.crt"

// buildBinaries builds the real, static exporter and provision, as make
// image does, once for the package's tests, into a directory kept between
// runs ($XDG_CACHE_HOME/vigil/testbin/image-binaries/): each link of these
// binaries costs several CPU-seconds, and go build relinks one only when
// its -o target is not already the binary it would produce, which a new
// temporary directory never holds. go build replaces a file by rename, so
// a build by another run never alters a binary a test is reading. (The
// main module's tests do the same through internal/testenv.GoBuild, which
// this module, importing none of Vigil's packages, does not use.)
func buildBinaries(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(caFile); err != nil {
		missing(t, caFile+" (apt-get install ca-certificates)")
	}
	built.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			built.err = err
			return
		}
		dir := filepath.Join(cache, "vigil", "testbin", "image-binaries")
		built.dir, built.err = goBuild(dir, map[string]string{"vigil-exporter": "./cmd/exporter", "provision": "./cmd/provision"})
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

// built holds buildBinaries' one build.
var built struct {
	sync.Once
	dir string
	err error
}

// goBuild builds each named binary from its package of the main module into
// dir, statically (CGO_ENABLED=0), stripped and with -trimpath.
func goBuild(dir string, pkgs map[string]string) (string, error) {
	for name, pkg := range pkgs {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, name), pkg)
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return dir, nil
}

// missing skips locally, and fails under CI=true, where nothing may skip.
func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing", what)
	}
	t.Skipf("%s is missing", what)
}

// The archive loads as an OCI layout; its image's entrypoint, run with its
// own arguments and --version, answers with Vigil's version; the user is not
// root; the CA bundle parses; the same inputs give the same digest.
func TestImage(t *testing.T) {
	bin := buildBinaries(t)
	out := filepath.Join(t.TempDir(), "vigil.oci.tar")
	digest, err := Build(Options{BinDir: bin, CACerts: caFile, Out: out, Version: "v0.0.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	img := load(t, out, digest)

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	files := extract(t, img)
	t.Run("entrypoint runs --version", func(t *testing.T) {
		ep := cf.Config.Entrypoint
		if len(ep) == 0 {
			t.Fatal("the image has no entrypoint")
		}
		f, ok := files[strings.TrimPrefix(ep[0], "/")]
		if !ok {
			t.Fatalf("entrypoint %s is not in the image", ep[0])
		}
		if f.Mode&0o111 == 0 || f.Mode&0o6000 != 0 || f.Uid != 0 {
			t.Errorf("%s: mode %o owner %d, want executable, no setuid/setgid, owned by root (not writable by the user)", ep[0], f.Mode, f.Uid)
		}
		path := filepath.Join(t.TempDir(), filepath.Base(ep[0]))
		if err := os.WriteFile(path, f.Data, 0o755); err != nil {
			t.Fatal(err)
		}
		args := append(append([]string{}, ep[1:]...), cf.Config.Cmd...)
		got, err := exec.Command(path, append(args, "--version")...).CombinedOutput()
		if err != nil || !strings.Contains(string(got), "vigil-exporter, version") {
			t.Errorf("%s --version: %v\n%s", ep[0], err, got)
		}
	})
	t.Run("user is not root", func(t *testing.T) {
		uid := userID(t, cf.Config.User)
		if uid == 0 {
			t.Fatalf("user %q is root", cf.Config.User)
		}
		passwd := string(files["etc/passwd"].Data)
		if !strings.Contains(passwd, ":x:"+strconv.Itoa(uid)+":") {
			t.Errorf("uid %d has no /etc/passwd entry:\n%s", uid, passwd)
		}
		w := files[strings.Trim(cf.Config.WorkingDir, "/")]
		if w == nil {
			w = files[strings.Trim(cf.Config.WorkingDir, "/")+"/"]
		}
		if w == nil || w.Typeflag != tar.TypeDir || w.Uid != uid {
			t.Errorf("working directory %s is not the user's: the default --storage.path (data/) could not be written", cf.Config.WorkingDir)
		}
	})
	t.Run("CA certificates", func(t *testing.T) {
		ca, ok := files["etc/ssl/certs/ca-certificates.crt"]
		if !ok || !x509.NewCertPool().AppendCertsFromPEM(ca.Data) {
			t.Error("/etc/ssl/certs/ca-certificates.crt is missing or holds no certificate")
		}
	})
	t.Run("reproducible", func(t *testing.T) {
		again, err := Build(Options{BinDir: bin, CACerts: caFile, Out: out + ".2", Version: "v0.0.0-test"})
		if err != nil {
			t.Fatal(err)
		}
		if again != digest {
			t.Errorf("the same inputs gave digests %s and %s", digest, again)
		}
	})
}

// A dynamically linked program is refused: the image has no libc.
func TestRefusesDynamicBinaries(t *testing.T) {
	dynamic, err := exec.LookPath("ls")
	if err != nil {
		missing(t, "ls")
	}
	dir := t.TempDir()
	data, err := os.ReadFile(dynamic)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Binaries {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Build(Options{BinDir: dir, CACerts: caFile, Out: filepath.Join(dir, "out.tar")})
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("error = %v, want a refusal naming CGO_ENABLED=0", err)
	}
}

// load untars the archive and returns the image the layout's index names.
func load(t *testing.T, archive string, want v1.Hash) v1.Image {
	t.Helper()
	dir := t.TempDir()
	untar(t, archive, dir)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("%s is not an OCI layout archive: %v", archive, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want {
		t.Fatalf("the layout's index lists %v, want the one image %s", m.Manifests, want)
	}
	img, err := idx.Image(want)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type file struct {
	Mode     int64
	Uid      int
	Data     []byte
	Typeflag byte
}

// extract returns the image's filesystem: every entry by name.
func extract(t *testing.T, img v1.Image) map[string]*file {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]*file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = &file{Mode: h.Mode, Uid: h.Uid, Data: data, Typeflag: h.Typeflag}
	}
}

func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// userID returns the uid of an image's User ("uid" or "uid:gid"); a name is
// refused, since the kubelet's runAsNonRoot can check only a number.
func userID(t *testing.T, user string) int {
	t.Helper()
	u, _, _ := strings.Cut(user, ":")
	uid, err := strconv.Atoi(u)
	if err != nil {
		t.Fatalf("user %q is not numeric: runAsNonRoot cannot verify a user name", user)
	}
	return uid
}

// A binary built without -trimpath is refused: it holds the builder's paths
// (the checkout, the module cache), so the digest would depend on where the
// clone is and the image would carry the build machine's directories.
func TestRefusesUntrimmedBinaries(t *testing.T) {
	bin := buildBinaries(t)
	// One untrimmed static program, under every name the image takes: a
	// module of its own, so that it compiles in a moment even on a cold
	// machine (the refusal reads only the binary's build settings).
	// -trimpath=false: make test exports GOFLAGS=-trimpath.
	dir := t.TempDir()
	src := t.TempDir()
	for name, content := range map[string]string{"go.mod": "module untrimmed\n\ngo 1.24\n", "main.go": "package main\n\nfunc main() {}\n"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-trimpath=false", "-o", filepath.Join(dir, "untrimmed"), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the untrimmed program: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "untrimmed"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Binaries {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Build(Options{BinDir: dir, CACerts: caFile, Out: filepath.Join(dir, "out.tar")})
	if err == nil || !strings.Contains(err.Error(), "-trimpath") {
		t.Errorf("error = %v, want a refusal naming -trimpath", err)
	}
	// And the image's own binaries name no directory of the build machine.
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Binaries {
		data, err := os.ReadFile(filepath.Join(bin, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), root+"/") {
			t.Errorf("%s holds the checkout's path %s", name, root)
		}
	}
}
