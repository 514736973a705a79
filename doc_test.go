package clientele_test

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDocumented holds the module to its rule for a public package: a package doc
// comment, a doc comment on every exported identifier, and at least one runnable Example
// (one with an "// Output:" comment, which go test checks). Nothing else enforces the
// rule, and an undocumented identifier is invisible to review once it is merged.
//
// It reads every package of this module except internal/... (not public), examples/...
// (programs, not API) and testdata, in the files go build would compile on this
// platform. beam/ is a module of its own and is not read. The storetest packages count:
// they are public conformance suites a host calls.
func TestDocumented(t *testing.T) {
	dirs, err := publicPackageDirs(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("found no public packages under the module root")
	}
	var gaps []string
	for _, dir := range dirs {
		g, err := docGaps(dir)
		if err != nil {
			t.Fatal(err)
		}
		gaps = append(gaps, g...)
	}
	if len(gaps) > 0 {
		t.Errorf("%d documentation gaps (the project's rule: every exported identifier "+
			"documented, every public package with a package doc comment and a runnable "+
			"Example):\n\t%s", len(gaps), strings.Join(gaps, "\n\t"))
	}
}

// publicPackageDirs lists, sorted, the directories under root holding a public package
// of the module rooted there: not internal, examples or testdata, not hidden, and not
// inside another module (a directory with its own go.mod, such as beam/).
func publicPackageDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root {
			name := d.Name()
			if name == "internal" || name == "examples" || name == "testdata" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		if pkg.Name != "main" {
			dirs = append(dirs, path)
		}
		return nil
	})
	slices.Sort(dirs)
	return dirs, err
}

// docGaps returns one line per documentation gap of the package in dir, each naming
// the package, the identifier, where it is declared and what to add there.
func docGaps(dir string) ([]string, error) {
	bp, err := build.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	fset := token.NewFileSet()
	parse := func(names []string) ([]*ast.File, error) {
		var files []*ast.File
		for _, name := range names {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		return files, nil
	}
	files, err := parse(bp.GoFiles)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, nil // only tests: nothing public to document
	}
	tests, err := parse(append(slices.Clone(bp.TestGoFiles), bp.XTestGoFiles...))
	if err != nil {
		return nil, err
	}
	p, err := doc.NewFromFiles(fset, files, bp.ImportPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}

	pkg := filepath.ToSlash(dir)
	if pkg == "." {
		pkg = "clientele"
	}
	where := func(pos token.Pos) string {
		return filepath.ToSlash(fset.Position(pos).String())
	}
	type found struct {
		at  token.Position
		msg string
	}
	var all []found
	gap := func(pos token.Pos, format string, args ...any) {
		all = append(all, found{fset.Position(pos), fmt.Sprintf("%s: %s: %s", where(pos), pkg, fmt.Sprintf(format, args...))})
	}

	if strings.TrimSpace(p.Doc) == "" {
		gap(files[0].Package, "package %s has no package doc comment: add \"// Package %s ...\", saying "+
			"what the package is for, above the package clause of one file (the project keeps it in %s)",
			p.Name, p.Name, filepath.ToSlash(filepath.Join(dir, "doc.go")))
	}

	values := func(vs []*doc.Value, kind string) {
		for _, v := range vs {
			if strings.TrimSpace(v.Doc) != "" {
				continue // a group's comment documents its members, as go doc shows them
			}
			for _, spec := range v.Decl.Specs {
				s := spec.(*ast.ValueSpec)
				if s.Doc.Text() != "" || s.Comment.Text() != "" {
					continue
				}
				for _, n := range s.Names {
					if n.IsExported() {
						gap(n.Pos(), "exported %s %s has no doc comment: add \"// %s ...\" "+
							"above it (or a comment above its const/var group)", kind, n.Name, n.Name)
					}
				}
			}
		}
	}
	funcs := func(fs []*doc.Func, recv string) {
		for _, f := range fs {
			if strings.TrimSpace(f.Doc) != "" || (recv != "" && f.Level > 0) {
				// A promoted method is documented where it is declared; an
				// exported embedded type is checked in its own right.
				continue
			}
			if recv == "" {
				gap(f.Decl.Name.Pos(), "exported func %s has no doc comment: add \"// %s ...\" above it",
					f.Name, f.Name)
			} else {
				gap(f.Decl.Name.Pos(), "exported method %s.%s has no doc comment: add \"// %s ...\" above it",
					recv, f.Name, f.Name)
			}
		}
	}

	values(p.Consts, "const")
	values(p.Vars, "var")
	funcs(p.Funcs, "")
	for _, typ := range p.Types {
		if strings.TrimSpace(typ.Doc) == "" {
			gap(typ.Decl.Specs[0].Pos(), "exported type %s has no doc comment: add \"// %s ...\" above it",
				typ.Name, typ.Name)
		}
		values(typ.Consts, "const")
		values(typ.Vars, "var")
		funcs(typ.Funcs, "")
		funcs(typ.Methods, typ.Name)
	}

	runnable := false
	for _, ex := range doc.Examples(tests...) {
		if ex.Output != "" || ex.EmptyOutput {
			runnable = true
			break
		}
	}
	if !runnable {
		gap(files[0].Package, "package %s has no runnable Example: add a func Example() "+
			"ending in an \"// Output:\" comment to %s (package %s_test), a short program "+
			"that uses the package's entry points and prints what they compute",
			p.Name, filepath.ToSlash(filepath.Join(dir, "example_test.go")), p.Name)
	}
	// In the order of the files, so that one pass down a file fixes its gaps.
	slices.SortStableFunc(all, func(a, b found) int {
		if c := strings.Compare(a.at.Filename, b.at.Filename); c != 0 {
			return c
		}
		return a.at.Offset - b.at.Offset
	})
	var gaps []string
	for _, g := range all {
		gaps = append(gaps, g.msg)
	}
	return gaps, nil
}
