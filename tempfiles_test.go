package clientele_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTempFilesRemoved holds every os.MkdirTemp and os.CreateTemp of the module, tests
// and Examples included, to three rules, since a temporary file left behind is seen by
// no test that passes:
//
//   - its error is checked: an Example that ignored it, where the directory could not
//     be made (TMPDIR missing or full), wrote its store to "" joined with a name, that
//     is into the package's source directory, left the files there, and the next
//     run's Examples read them;
//   - what it made is removed on every path: a defer or a Cleanup calling os.Remove
//     or os.RemoveAll on it comes within the two statements after the call (the error
//     check, then the removal), so that no early return can come between. A directory
//     made inside a parent named by a variable (a base the caller removes, a
//     t.TempDir()) goes with the parent and is exempt;
//   - a test or a helper taking a *testing.T, B or F uses t.TempDir() rather than
//     os.MkdirTemp in the default directory, as the testing package then removes it
//     and reports a removal that failed.
//
// A call in another shape (inside an expression, its results discarded) is reported,
// so that a new call is never silently outside the check. It reads the files of this
// module as text; beam/ is a module of its own and is not read.
func TestTempFilesRemoved(t *testing.T) {
	var problems []string
	calls := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		n, p, err := tempFileProblems(path)
		calls += n
		problems = append(problems, p...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Fatal("found no os.MkdirTemp or os.CreateTemp call: the check reads nothing")
	}
	if len(problems) > 0 {
		t.Errorf("%d temporary files or directories that may outlive their use:\n\t%s", len(problems), strings.Join(problems, "\n\t"))
	}
}

// tempFileProblems returns how many os.MkdirTemp and os.CreateTemp calls the file at
// path makes, and one line per rule of TestTempFilesRemoved one of them breaks.
func tempFileProblems(path string) (calls int, problems []string, err error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return 0, nil, err
	}
	report := func(pos token.Pos, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s", filepath.ToSlash(fset.Position(pos).String()), fmt.Sprintf(format, args...)))
	}
	checked := map[*ast.CallExpr]bool{}
	// checkAssign checks the call assigned by s, if s assigns one, given the statements
	// that follow it in its block.
	checkAssign := func(s ast.Stmt, next []ast.Stmt) {
		as, ok := s.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 || len(as.Lhs) != 2 {
			return
		}
		call, fn := tempCall(as.Rhs[0])
		if call == nil {
			return
		}
		checked[call] = true
		if isBlank(as.Lhs[1]) {
			report(call.Pos(), "os.%s's error is discarded: check it, or a failure goes on with an empty name (the working directory)", fn)
		}
		v, ok := as.Lhs[0].(*ast.Ident)
		if !ok || v.Name == "_" {
			report(call.Pos(), "os.%s's result is not kept in a variable, so nothing can remove it", fn)
			return
		}
		if _, parent := call.Args[0].(*ast.Ident); fn == "MkdirTemp" && parent {
			return // inside a parent the caller removes
		}
		for _, n := range next[:min(len(next), 2)] {
			if removes(n, v.Name) {
				return
			}
		}
		report(call.Pos(), "%s from os.%s is not removed by a defer or Cleanup right after it (within two statements): an early return would leave it", v.Name, fn)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		var list []ast.Stmt
		switch n := n.(type) {
		case *ast.BlockStmt:
			list = n.List
		case *ast.CaseClause:
			list = n.Body
		case *ast.CommClause:
			list = n.Body
		case *ast.IfStmt:
			if n.Init != nil {
				checkAssign(n.Init, n.Body.List)
			}
			return true
		case *ast.FuncDecl:
			if n.Type.Params != nil && takesTesting(n.Type.Params) && n.Body != nil {
				ast.Inspect(n.Body, func(m ast.Node) bool {
					if call, fn := tempCall(m); call != nil && fn == "MkdirTemp" && isEmptyString(call.Args[0]) {
						report(call.Pos(), "%s takes a *testing value: use its TempDir(), which the testing package removes and whose removal it checks", n.Name.Name)
					}
					return true
				})
			}
			return true
		default:
			return true
		}
		for i, s := range list {
			checkAssign(s, list[i+1:])
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		if call, fn := tempCall(n); call != nil {
			calls++
			if !checked[call] {
				report(call.Pos(), "os.%s in a shape the check does not read: assign it as x, err := os.%s(...) and remove x right after", fn, fn)
			}
		}
		return true
	})
	return calls, problems, nil
}

// tempCall returns n as a call of os.MkdirTemp or os.CreateTemp with its function's
// name, or nil.
func tempCall(n ast.Node) (*ast.CallExpr, string) {
	call, ok := n.(*ast.CallExpr)
	if !ok || len(call.Args) != 2 {
		return nil, ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, ""
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "os" {
		return nil, ""
	}
	if name := sel.Sel.Name; name == "MkdirTemp" || name == "CreateTemp" {
		return call, name
	}
	return nil, ""
}

// removes reports whether s is a defer, or a call of a Cleanup method, that calls
// os.Remove or os.RemoveAll on an expression naming v (v, v.Name()).
func removes(s ast.Stmt, v string) bool {
	var body ast.Node
	switch s := s.(type) {
	case *ast.DeferStmt:
		body = s.Call
	case *ast.ExprStmt:
		call, ok := s.X.(*ast.CallExpr)
		if !ok {
			return false
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Cleanup" {
			return false
		}
		body = call
	default:
		return false
	}
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return !found
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Remove" && sel.Sel.Name != "RemoveAll") {
			return !found
		}
		if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "os" {
			return !found
		}
		ast.Inspect(call.Args[0], func(m ast.Node) bool {
			if id, ok := m.(*ast.Ident); ok && id.Name == v {
				found = true
			}
			return !found
		})
		return !found
	})
	return found
}

// takesTesting reports whether a parameter list has a *testing.T, *testing.B or
// *testing.F.
func takesTesting(params *ast.FieldList) bool {
	for _, p := range params.List {
		star, ok := p.Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		sel, ok := star.X.(*ast.SelectorExpr)
		if !ok {
			continue
		}
		if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "testing" && (sel.Sel.Name == "T" || sel.Sel.Name == "B" || sel.Sel.Name == "F") {
			return true
		}
	}
	return false
}

func isBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}

func isEmptyString(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	return ok && lit.Kind == token.STRING && (lit.Value == `""` || lit.Value == "``")
}
