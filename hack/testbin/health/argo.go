package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// argoHealth runs <dir>/<group>/<Kind>/health.lua on an object the way Argo CD runs a health
// script from argocd-cm (util/lua/lua.go, runLua with UseOpenLibs false): a VM without the
// standard libraries, then package, base, table and a safe os opened by hand (no string, no
// math, no io), the object as the global `obj`, a one-second deadline, and the returned table
// read as {status, message}. A status outside Argo CD's set reads as Unknown, as in Argo CD.
func argoHealth(dir string, u *unstructured.Unstructured) Verdict {
	gvk := u.GroupVersionKind()
	script, err := os.ReadFile(filepath.Join(dir, gvk.Group, gvk.Kind, "health.lua"))
	if err != nil {
		return Verdict{Status: "Error", Message: err.Error()}
	}
	verdict, err := runHealthLua(string(script), u.Object)
	if err != nil {
		return Verdict{Status: "Error", Message: err.Error()}
	}
	return verdict
}

func runHealthLua(script string, object map[string]any) (Verdict, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Verdict{}, err
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), safeOsFuncs))
		return 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, object))
	if err := l.DoString(script); err != nil {
		return Verdict{}, err
	}
	table, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return Verdict{}, fmt.Errorf("expect table output from Lua script, not %s", l.Get(-1).Type())
	}
	verdict := Verdict{Status: luaString(table.RawGetString("status")), Message: luaString(table.RawGetString("message"))}
	switch verdict.Status {
	case "Unknown", "Progressing", "Suspended", "Healthy", "Degraded", "Missing":
		return verdict, nil
	}
	return Verdict{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
}

func luaString(value lua.LValue) string {
	if value == lua.LNil {
		return ""
	}
	return value.String()
}

// Argo CD's safe os library holds only time and date; Lifeboat's scripts use neither, so these
// are the minimal forms (os.time() and os.date("!*t")), enough for a script that tried to be
// present as a table, and absent functions (os.exit, os.getenv) fail as they do in Argo CD.
var safeOsFuncs = map[string]lua.LGFunction{
	"time": func(l *lua.LState) int { l.Push(lua.LNumber(time.Now().Unix())); return 1 },
	"date": func(l *lua.LState) int {
		t := time.Now().UTC()
		date := l.NewTable()
		for name, value := range map[string]int{"year": t.Year(), "month": int(t.Month()), "day": t.Day(), "hour": t.Hour(), "min": t.Minute(), "sec": t.Second()} {
			date.RawSetString(name, lua.LNumber(value))
		}
		l.Push(date)
		return 1
	},
}

func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.OsLibName, safeOsFuncs))
	return 1
}

// toLua converts a decoded object as Argo CD's decodeValue does: numbers (int64 or float64) to
// Lua numbers, maps to tables, arrays to sequences, null to nil.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		array := l.CreateTable(len(v), 0)
		for _, item := range v {
			array.Append(toLua(l, item))
		}
		return array
	case map[string]any:
		table := l.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetH(lua.LString(key), toLua(l, item))
		}
		return table
	}
	return lua.LNil
}

// argoTest runs every health_test.yaml under dir (<group>/<Kind>/ in Argo CD's layout), as Argo CD's own
// TestLuaHealthScript does: each test's inputPath (relative to the kind's folder) must give
// exactly the expected status and message.
func argoTest(dir string, out io.Writer) error {
	// The VM must be Argo CD's restricted one, or a script using string or math would pass here only.
	probe, err := runHealthLua(`return { status = (string == nil and math == nil and io == nil and os.exit == nil) and "Healthy" or "Degraded" }`, nil)
	if err != nil || probe.Status != "Healthy" {
		return fmt.Errorf("the Lua VM opens more than Argo CD does (%v)", err)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err == nil && entry.Name() == "health_test.yaml" {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no health_test.yaml under %s", dir)
	}
	failures := 0
	for _, file := range files {
		kindDir := filepath.Dir(file)
		script, err := os.ReadFile(filepath.Join(kindDir, "health.lua"))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var suite struct {
			Tests []struct {
				HealthStatus Verdict `json:"healthStatus"`
				InputPath    string  `json:"inputPath"`
			} `json:"tests"`
		}
		if err := yaml.UnmarshalStrict(data, &suite); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if len(suite.Tests) == 0 {
			return fmt.Errorf("%s has no tests", file)
		}
		for _, test := range suite.Tests {
			name := filepath.Join(filepath.Base(kindDir), test.InputPath)
			object, err := readObject(filepath.Join(kindDir, test.InputPath))
			if err != nil {
				return err
			}
			got, err := runHealthLua(string(script), object.Object)
			switch {
			case err != nil:
				failures++
				fmt.Fprintf(out, "FAIL %s: %v\n", name, err)
			case got != test.HealthStatus:
				failures++
				fmt.Fprintf(out, "FAIL %s: got %s %q, want %s %q\n", name, got.Status, got.Message, test.HealthStatus.Status, test.HealthStatus.Message)
			default:
				fmt.Fprintf(out, "ok   %s: %s\n", name, got.Status)
			}
		}
	}
	if failures > 0 {
		return fmt.Errorf("%d health test(s) failed", failures)
	}
	return nil
}
