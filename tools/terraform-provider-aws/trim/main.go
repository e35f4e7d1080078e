// Command trim rewrites a copy of the hashicorp/aws provider's source so that
// it registers only the resource and data source types terraform/aws uses
// (../resources.txt), and compiles only the services that hold them.
//
// Why: the whole provider registers ~266 services and links every AWS SDK
// client, a 37-minute cold build on 2 cores; and every terraform command
// (each `terraform test` run block starts the provider up to three times)
// asks it for its schema, 8 MB even for the eight services kept here, most
// of it the WAFv2 rule resources the stack does not use (docs/benchmarks.md).
//
// What it changes, all in generated files of the provider:
//   - internal/provider/sdkv2/service_packages_gen.go lists only the services
//     that register a kept type, and those whose client the compiled code
//     calls (S3's tagging calls S3 Control's client, for one: the provider
//     makes a client only for a listed service and panics otherwise);
//   - each listed service's service_package_gen.go registers only the kept
//     types (its other resources are still compiled, never registered);
//   - internal/conns/awsclient_gen.go keeps only the (*AWSClient).XClient
//     accessors some compiled package calls (found by following the
//     provider's own imports from main.go), so the other AWS SDK clients are
//     not compiled;
//
// then drops the imports each rewrite left unused. The kept resources'
// code, schemas and validators are the published ones, unchanged.
//
// No library does this: it is specific to the provider's generated layout,
// and fails naming the file whose layout it does not recognise.
//
//	trim -module DIR -types FILE
//
// rewrites DIR, a writable copy of the module (go build refuses -overlay for
// files in GOMODCACHE; the build uses the copy through a replace directive).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/format"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const (
	modulePath          = "github.com/hashicorp/terraform-provider-aws"
	servicePackagesFile = "internal/provider/sdkv2/service_packages_gen.go"
	awsClientFile       = "internal/conns/awsclient_gen.go"
	servicePackageFile  = "service_package_gen.go"
	servicePrefix       = modulePath + "/internal/service/"
	sdkv2Package        = modulePath + "/internal/provider/sdkv2"
)

func main() {
	moduleDir := flag.String("module", "", "a writable copy of the provider module's source")
	typesFile := flag.String("types", "", "the resource and data source types to register, one per line")
	flag.Parse()
	if *moduleDir == "" || *typesFile == "" {
		fmt.Fprintln(os.Stderr, "usage: trim -module DIR -types FILE")
		os.Exit(2)
	}
	if err := run(*moduleDir, *typesFile); err != nil {
		fmt.Fprintln(os.Stderr, "trim:", err)
		os.Exit(1)
	}
}

func run(moduleDir, typesFile string) error {
	types, err := readTypes(typesFile)
	if err != nil {
		return err
	}
	owners, byName, err := readServices(moduleDir)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for t := range types {
		service, ok := owners[t]
		if !ok {
			return fmt.Errorf("%s: no service of the provider registers %s", typesFile, t)
		}
		keep[service] = true
	}
	owning := maps.Clone(keep)
	client, err := parse(filepath.Join(moduleDir, awsClientFile))
	if err != nil {
		return err
	}
	accessors, err := accessorServices(client.file)
	if err != nil {
		return fmt.Errorf("%s: %w", awsClientFile, err)
	}
	// A kept service's code may call another service's client (S3's tags
	// call S3 Control; WAFv2 calls CloudFront; EC2, Organizations). The
	// client is made only for a registered service package and the
	// accessor panics otherwise, so every service whose client is called
	// is registered too, without types; registering one compiles its
	// package, which may call more: repeat until nothing is added.
	var used map[string]bool
	for {
		pkgs, err := compiledPackages(moduleDir, keep)
		if err != nil {
			return err
		}
		if used, err = calledAccessors(pkgs, accessors, filepath.Join(moduleDir, awsClientFile)); err != nil {
			return err
		}
		added := false
		for acc := range used {
			service, ok := byName[accessors[acc]]
			if !ok {
				return fmt.Errorf("%s: %s is for names.%s, which no internal/service package is named", awsClientFile, acc, accessors[acc])
			}
			if !keep[service] {
				keep[service], added = true, true
			}
		}
		if !added {
			break
		}
	}
	rewrites := map[string][]byte{}
	if rewrites[servicePackagesFile], err = trimServicePackages(filepath.Join(moduleDir, servicePackagesFile), keep); err != nil {
		return err
	}
	for service := range keep {
		rel := "internal/service/" + service + "/" + servicePackageFile
		if rewrites[rel], err = trimRegistrations(filepath.Join(moduleDir, rel), types, owning[service]); err != nil {
			return err
		}
	}
	if rewrites[awsClientFile], err = client.withoutAccessors(accessors, used); err != nil {
		return err
	}
	for rel, src := range rewrites {
		if err := os.WriteFile(filepath.Join(moduleDir, filepath.FromSlash(rel)), src, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "trim: %d types of the services %s; registered for their clients only: %s\n",
		len(types), strings.Join(sortedKeys(owning), ", "), strings.Join(sortedKeys(without(keep, owning)), ", "))
	return nil
}

func sortedKeys(m map[string]bool) []string {
	keys := slices.Collect(maps.Keys(m))
	sort.Strings(keys)
	return keys
}

func without(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if !b[k] {
			out[k] = true
		}
	}
	return out
}

// readTypes reads one type name per line; blank lines and # comments aside.
func readTypes(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	types := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "aws_") || strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s:%d: %q is not a type name such as aws_instance", path, n, line)
		}
		types[line] = true
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("%s names no types", path)
	}
	return types, nil
}

// readServices maps every type the provider registers to its service
// package's directory, and each service's names constant (what its
// ServicePackageName returns: names.S3Control) to that directory.
func readServices(moduleDir string) (owners, byName map[string]string, err error) {
	files, err := filepath.Glob(filepath.Join(moduleDir, "internal", "service", "*", servicePackageFile))
	if err != nil || len(files) < 100 {
		return nil, nil, fmt.Errorf("%s holds %d internal/service/*/%s: its layout changed (%v)", moduleDir, len(files), servicePackageFile, err)
	}
	owners, byName = map[string]string{}, map[string]string{}
	for _, path := range files {
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return nil, nil, err
		}
		service := filepath.Base(filepath.Dir(path))
		ast.Inspect(file, func(n ast.Node) bool {
			if name, ok := typeName(n); ok {
				owners[name] = service
			}
			return true
		})
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && fn.Name.Name == "ServicePackageName" {
				if name := namesConstant(fn.Body); name != "" {
					byName[name] = service
				}
			}
		}
	}
	return owners, byName, nil
}

// namesConstant returns X of the first names.X in n.
func namesConstant(n ast.Node) string {
	var name string
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && name == "" {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "names" {
				name = sel.Sel.Name
			}
		}
		return name == ""
	})
	return name
}

// typeName returns T for a registration literal {..., TypeName: "T", ...}.
func typeName(n ast.Node) (string, bool) {
	lit, ok := n.(*ast.CompositeLit)
	if !ok {
		return "", false
	}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "TypeName" {
			if v, ok := kv.Value.(*ast.BasicLit); ok && v.Kind == token.STRING {
				s, err := strconv.Unquote(v.Value)
				return s, err == nil
			}
		}
	}
	return "", false
}

// trimServicePackages drops the imports of unkept services and their
// X.ServicePackage(ctx) entries from the provider's list.
func trimServicePackages(path string, keep map[string]bool) ([]byte, error) {
	g, err := parse(path)
	if err != nil {
		return nil, err
	}
	file := g.file
	var list *ast.CompositeLit
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "servicePackages" {
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CompositeLit); ok && list == nil {
					list = c
				}
				return true
			})
		}
	}
	if list == nil {
		return nil, fmt.Errorf("%s: no list in func servicePackages: its layout changed", path)
	}
	var elts []ast.Expr
	for _, e := range list.Elts {
		if keep[callPackage(e)] {
			elts = append(elts, e)
		}
	}
	if len(elts) != len(keep) {
		return nil, fmt.Errorf("%s: servicePackages lists %d of the %d kept services: its layout changed", path, len(elts), len(keep))
	}
	list.Elts = elts
	return g.render()
}

// callPackage returns "x" for the expression x.F(...).
func callPackage(e ast.Expr) string {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return id.Name
}

// trimRegistrations drops from a service's registration lists (resources,
// data sources, list resources, actions, ...) every type not kept. A service
// registered for its client only keeps none.
func trimRegistrations(path string, types map[string]bool, owning bool) ([]byte, error) {
	g, err := parse(path)
	if err != nil {
		return nil, err
	}
	file := g.file
	kept := 0
	ast.Inspect(file, func(n ast.Node) bool {
		list, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if _, ok := list.Type.(*ast.ArrayType); !ok {
			return true
		}
		var elts []ast.Expr
		for _, e := range list.Elts {
			if name, ok := typeName(e); ok && !types[name] {
				continue
			} else if ok {
				kept++
			}
			elts = append(elts, e)
		}
		list.Elts = elts
		return true
	})
	if owning && kept == 0 {
		return nil, fmt.Errorf("%s: no kept type registered: its layout changed", path)
	}
	return g.render()
}

// compiledPackages returns the provider's own packages a build of main.go
// compiles once sdkv2 registers only the kept services.
func compiledPackages(moduleDir string, keep map[string]bool) (map[string]*build.Package, error) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", true
	seen := map[string]*build.Package{}
	queue := []string{modulePath}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if _, ok := seen[path]; ok {
			continue
		}
		dir := filepath.Join(moduleDir, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(path, modulePath), "/")))
		pkg, err := ctx.ImportDir(dir, 0)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		seen[path] = pkg
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, modulePath+"/") {
				continue
			}
			if name, ok := strings.CutPrefix(imp, servicePrefix); ok && path == sdkv2Package && !keep[strings.Split(name, "/")[0]] {
				continue
			}
			queue = append(queue, imp)
		}
	}
	return seen, nil
}

// accessorServices maps each (*AWSClient).XClient accessor to the names
// constant of the service whose client it returns.
func accessorServices(file *ast.File) (map[string]string, error) {
	accessors := map[string]string{}
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && strings.HasSuffix(fn.Name.Name, "Client") {
			accessors[fn.Name.Name] = namesConstant(fn.Body)
			if accessors[fn.Name.Name] == "" {
				return nil, fmt.Errorf("%s names no names.X service: its layout changed", fn.Name.Name)
			}
		}
	}
	if len(accessors) < 100 {
		return nil, fmt.Errorf("%d client accessors: its layout changed", len(accessors))
	}
	return accessors, nil
}

// withoutAccessors drops each accessor no compiled package calls.
func (g *goFile) withoutAccessors(accessors map[string]string, used map[string]bool) ([]byte, error) {
	var decls []ast.Decl
	for _, d := range g.file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && accessors[fn.Name.Name] != "" && !used[fn.Name.Name] {
			continue
		}
		decls = append(decls, d)
	}
	g.file.Decls = decls
	return g.render()
}

// calledAccessors returns the accessors some compiled package's code selects
// (c.EC2Client(ctx), meta.(*conns.AWSClient).IAMClient(ctx), ...).
func calledAccessors(pkgs map[string]*build.Package, accessors map[string]string, skip string) (map[string]bool, error) {
	used := map[string]bool{}
	for _, pkg := range pkgs {
		for _, name := range append(append([]string{}, pkg.GoFiles...), pkg.CgoFiles...) {
			path := filepath.Join(pkg.Dir, name)
			if path == skip {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				return nil, err
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && accessors[sel.Sel.Name] != "" {
					used[sel.Sel.Name] = true
				}
				return true
			})
		}
	}
	return used, nil
}

// goFile is a parsed file to rewrite, with the package names its code
// selected from before any change.
type goFile struct {
	fset   *token.FileSet
	file   *ast.File
	before map[string]bool
}

func parse(path string) (*goFile, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	return &goFile{fset: fset, file: file, before: selected(file)}, nil
}

// selected returns the identifiers the file's code selects from (x in x.Y).
func selected(file *ast.File) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// render drops the imports the file no longer uses and every comment after
// the package clause (they would float where code was removed; the
// generated files' header and license stay), then gofmts it.
func (g *goFile) render() ([]byte, error) {
	fset, file := g.fset, g.file
	dropUnusedImports(file, g.before)
	var comments []*ast.CommentGroup
	for _, c := range file.Comments {
		if c.Pos() < file.Package {
			comments = append(comments, c)
		}
	}
	file.Comments = comments
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		return nil, err
	}
	return format.Source(buf.Bytes())
}

// dropUnusedImports removes each import whose package the file's code
// selected from before the rewrite and no longer does. The package name is
// the import's own name or its path's last element; an import whose package
// is named otherwise was never seen as used, so it stays.
func dropUnusedImports(file *ast.File, before map[string]bool) {
	after := selected(file)
	unused := func(s *ast.ImportSpec) bool {
		p, _ := strconv.Unquote(s.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if s.Name != nil {
			name = s.Name.Name
		}
		return before[name] && !after[name]
	}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		var specs []ast.Spec
		for _, s := range g.Specs {
			if !unused(s.(*ast.ImportSpec)) {
				specs = append(specs, s)
			}
		}
		g.Specs = specs
	}
	var imports []*ast.ImportSpec
	for _, s := range file.Imports {
		if !unused(s) {
			imports = append(imports, s)
		}
	}
	file.Imports = imports
}
