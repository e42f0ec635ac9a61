// lifeboat-health: the health verdicts GitOps tools give Lifeboat's objects, computed with the
// tools' own code, so the tests check what a user would see:
//   - kstatus (sigs.k8s.io/cli-utils), which Flux uses by default and many tools share;
//   - Argo CD's Lua health checks, run in gopher-lua with the libraries Argo CD opens (argo.go);
//   - Flux's healthCheckExprs, evaluated by Flux's own evaluator (flux.go).
//
// Usage:
//
//	lifeboat-health argo-test <dir>
//	    runs every <Kind>/health_test.yaml under <dir> (Argo CD's resource_customizations
//	    layout) and fails on any mismatch.
//	lifeboat-health verdicts --argo <dir> --flux <kustomization.yaml>
//	    reads a JSON array of objects on stdin and prints, per object,
//	    {"kstatus": {status, message}, "argo": {status, message}, "flux": {status, message}}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kjson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: lifeboat-health argo-test <dir> | verdicts --argo <dir> --flux <kustomization.yaml>")
	}
	var err error
	switch os.Args[1] {
	case "argo-test":
		if len(os.Args) != 3 {
			fail("usage: lifeboat-health argo-test <dir>")
		}
		err = argoTest(os.Args[2], os.Stdout)
	case "verdicts":
		err = verdicts(os.Args[2:], os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "lifeboat-health:", message)
	os.Exit(1)
}

// Verdict is one tool's reading of one object.
type Verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

type verdictSet struct {
	Kstatus Verdict `json:"kstatus"`
	Argo    Verdict `json:"argo"`
	Flux    Verdict `json:"flux"`
}

func verdicts(args []string, in io.Reader, out io.Writer) error {
	flags := flag.NewFlagSet("verdicts", flag.ContinueOnError)
	argoDir := flags.String("argo", "", "Argo CD resource_customizations directory")
	fluxFile := flags.String("flux", "", "Flux Kustomization with spec.healthCheckExprs")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *argoDir == "" || *fluxFile == "" {
		return fmt.Errorf("verdicts needs --argo and --flux")
	}
	flux, err := loadFlux(*fluxFile)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	// The apimachinery decoder keeps whole numbers as int64, as a client reading the API server does;
	// kstatus and Flux compare generations with NestedInt64, which rejects float64.
	var objects []map[string]any
	if err := kjson.Unmarshal(data, &objects); err != nil {
		return fmt.Errorf("stdin is not a JSON array of objects: %w", err)
	}
	results := make([]verdictSet, 0, len(objects))
	for _, object := range objects {
		u := &unstructured.Unstructured{Object: object}
		var set verdictSet
		if res, err := status.Compute(u); err != nil {
			set.Kstatus = Verdict{Status: "Error", Message: err.Error()}
		} else {
			set.Kstatus = Verdict{Status: string(res.Status), Message: res.Message}
		}
		set.Argo = argoHealth(*argoDir, u)
		set.Flux = flux.health(u)
		results = append(results, set)
	}
	encoder := json.NewEncoder(out)
	encoder.SetIndent("", "  ")
	return encoder.Encode(results)
}

// readObject reads one YAML or JSON manifest the way verdicts reads its input.
func readObject(path string) (*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data, err = yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var object map[string]any
	if err := kjson.Unmarshal(data, &object); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &unstructured.Unstructured{Object: object}, nil
}
