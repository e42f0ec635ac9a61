package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// fluxChecks evaluates a Kustomization's spec.healthCheckExprs with the status reader
// kustomize-controller builds from them (fluxcd/pkg/runtime/cel): its own observedGeneration
// check, then inProgress, failed, current in that order, InProgress when none is true.
type fluxChecks struct {
	readStatus func(*unstructured.Unstructured) Verdict
}

func loadFlux(path string) (*fluxChecks, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kustomization struct {
		Spec struct {
			HealthCheckExprs []kustomize.CustomHealthCheck `json:"healthCheckExprs"`
		} `json:"spec"`
	}
	// Only spec.healthCheckExprs matters here; kustomize-controller's CRD validates the rest.
	if err := yaml.Unmarshal(data, &kustomization); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(kustomization.Spec.HealthCheckExprs) == 0 {
		return nil, fmt.Errorf("%s has no spec.healthCheckExprs", path)
	}
	newReader, err := cel.NewStatusReader(kustomization.Spec.HealthCheckExprs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The generic status reader needs neither a REST mapper nor a cluster reader to read an object it is given.
	reader := newReader(nil)
	return &fluxChecks{readStatus: func(u *unstructured.Unstructured) Verdict {
		if !reader.Supports(u.GroupVersionKind().GroupKind()) {
			return Verdict{Status: "Unsupported", Message: "no healthCheckExprs entry for " + u.GetKind()}
		}
		res, err := reader.ReadStatusForObject(context.Background(), nil, u)
		if err != nil {
			return Verdict{Status: "Error", Message: err.Error()}
		}
		message := res.Message
		if res.Error != nil {
			message = res.Error.Error()
		}
		return Verdict{Status: res.Status.String(), Message: message}
	}}, nil
}

func (f *fluxChecks) health(u *unstructured.Unstructured) Verdict { return f.readStatus(u) }
