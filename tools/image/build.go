package main

import (
	"archive/tar"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options say what goes into the image and where it is written.
type Options struct {
	BinDir, CACerts, Out string
	Version, Revision    string
}

// The image's user: not root, and the uid distroless images use, so volume
// permissions carry over from them.
const (
	UID        = 65532
	UserName   = "nonroot"
	Entrypoint = "/bin/vigil-exporter"
	WorkDir    = "/var/lib/vigil"
)

// Binaries are the programs the image ships, from Options.BinDir.
var Binaries = []string{"vigil-exporter", "provision"}

// epoch is every file's and the image's time: the same inputs give the same
// digest.
var epoch = time.Unix(0, 0).UTC()

// Build writes the image to o.Out and returns its manifest digest.
func Build(o Options) (v1.Hash, error) {
	layer, err := buildLayer(o)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := buildImage(layer, o)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := writeArchive(img, o); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

func buildImage(layer v1.Layer, o Options) (v1.Image, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("adding the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: epoch}
	cf.Config = v1.Config{
		Entrypoint:   []string{Entrypoint},
		User:         fmt.Sprintf("%d:%d", UID, UID),
		WorkingDir:   WorkDir,
		Env:          []string{"PATH=/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		ExposedPorts: map[string]struct{}{"9477/tcp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "vigil",
			"org.opencontainers.image.source":   "https://github.com/vigil-monitoring/vigil",
			"org.opencontainers.image.version":  o.Version,
			"org.opencontainers.image.revision": o.Revision,
		},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting the image config: %w", err)
	}
	return img, nil
}

// buildLayer makes the image's only layer.
func buildLayer(o Options) (v1.Layer, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, d := range []struct {
		name string
		mode int64
		uid  int
	}{
		{"bin/", 0o755, 0}, {"etc/", 0o755, 0}, {"etc/ssl/", 0o755, 0}, {"etc/ssl/certs/", 0o755, 0},
		{"tmp/", 0o1777, 0}, {"var/", 0o755, 0}, {"var/lib/", 0o755, 0}, {"var/lib/vigil/", 0o755, UID},
	} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, Uid: d.uid, Gid: d.uid, ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	for _, name := range Binaries {
		data, err := staticBinary(filepath.Join(o.BinDir, name))
		if err != nil {
			return nil, err
		}
		if err := addFile(tw, "bin/"+name, 0o755, data); err != nil {
			return nil, err
		}
	}
	certs, err := caBundle(o.CACerts)
	if err != nil {
		return nil, err
	}
	files := map[string]string{
		"etc/ssl/certs/ca-certificates.crt": string(certs),
		"etc/passwd":                        fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n", UserName, UID, UID, UserName, UserName),
		"etc/group":                         fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, UID),
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := addFile(tw, n, 0o644, []byte(files[n])); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := b.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

func addFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch}); err != nil {
		return fmt.Errorf("adding %s to the layer: %w", name, err)
	}
	_, err := tw.Write(data)
	return err
}

// staticBinary reads an executable and refuses one that needs a dynamic
// loader: the image has no libc, so it would fail with "no such file".
func staticBinary(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: build it first (make image builds it with CGO_ENABLED=0)", err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0, the image has no libc", path)
		}
	}
	// Without -trimpath the binary holds the builder's checkout and module
	// cache paths: the image's digest then depends on where the clone is,
	// and the image tells anyone who pulls it the builder's directories.
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a Go binary with build information: %w", path, err)
	}
	trimmed := false
	for _, s := range bi.Settings {
		if s.Key == "-trimpath" && s.Value == "true" {
			trimmed = true
		}
	}
	if !trimmed {
		return nil, fmt.Errorf("%s was built without -trimpath: it holds the build machine's paths, so the image would not be reproducible from another checkout (make image builds with -trimpath)", path)
	}
	return data, nil
}

// caBundle reads the CA certificates and checks they are PEM certificates.
func caBundle(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CA certificates: %w (Debian: apt-get install ca-certificates; or pass -ca)", err)
	}
	if !bytes.Contains(data, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("%s holds no PEM certificate: pass a CA bundle with -ca", path)
	}
	return data, nil
}

// writeArchive writes img as an OCI image layout, then archives the layout
// into o.Out (written beside it and renamed, so a half-written archive is
// never left under the name).
func writeArchive(img v1.Image, o Options) error {
	dir, err := os.MkdirTemp(filepath.Dir(o.Out), ".oci-layout-")
	if err != nil {
		return fmt.Errorf("creating the layout directory: %w", err)
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	ref := map[string]string{"org.opencontainers.image.ref.name": o.Version}
	if err := p.AppendImage(img, layout.WithAnnotations(ref)); err != nil {
		return fmt.Errorf("writing the image into the OCI layout: %w", err)
	}
	tmp := o.Out + ".tmp"
	if err := tarDir(dir, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, o.Out)
}

// tarDir archives dir's files, relative to it, in name order.
func tarDir(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	tw := tar.NewWriter(f)
	walkErr := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: filepath.ToSlash(rel) + "/", Mode: 0o755, ModTime: epoch})
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return addFile(tw, filepath.ToSlash(rel), 0o644, data)
	})
	err = errors.Join(walkErr, tw.Close(), f.Close())
	if err != nil {
		return fmt.Errorf("archiving the OCI layout into %s: %w", out, err)
	}
	return nil
}
