// Command image builds Vigil's container image offline (`make image`): no
// base image is pulled. The image holds one layer made here: the static
// binaries vigil-exporter and provision under /bin, the CA certificates of
// the building machine, /etc/passwd and /etc/group with a non-root user
// (65532, "nonroot", as distroless images call it), and a writable working
// directory for --storage.path's default. The entrypoint is the exporter, run
// as 65532. The image is written as an OCI image layout archived in a tar
// (skopeo's oci-archive, crane push after untarring), and its manifest digest
// is printed, to reference the image by digest.
//
// go-containerregistry builds the image (layer digests, config, manifest,
// layout); only the layer's tar entries are written here.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o Options
	flag.StringVar(&o.BinDir, "bin", "", "directory holding the static (CGO_ENABLED=0) vigil-exporter and provision")
	flag.StringVar(&o.CACerts, "ca", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of CA certificates to ship as /etc/ssl/certs/ca-certificates.crt")
	flag.StringVar(&o.Out, "out", "", "the OCI archive to write (an OCI image layout in a tar)")
	flag.StringVar(&o.Version, "version", "dev", "the image's version label and the layout's ref name")
	flag.StringVar(&o.Revision, "revision", "", "the source revision label (git commit)")
	flag.Parse()
	if o.BinDir == "" || o.Out == "" {
		fmt.Fprintln(os.Stderr, "image: -bin and -out are required (make image passes them)")
		os.Exit(2)
	}
	digest, err := Build(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s\ndigest %s\n", o.Out, digest)
}
