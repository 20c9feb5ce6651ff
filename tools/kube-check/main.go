// Command kube-check decodes Kubernetes objects the way the API server does with
// fieldValidation=Strict: into the Go types the server serves, refusing unknown and duplicate
// fields and values of the wrong type. It reads a JSON array of objects on stdin and prints a
// JSON array with the problems of each (an empty list: the object decodes cleanly).
package main

import (
	stdjson "encoding/json"
	"fmt"
	"io"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

type result struct {
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	Problems []string `json:"problems"`
}

func main() {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, networkingv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			fail(err)
		}
	}
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Strict: true})

	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var objects []stdjson.RawMessage
	if err := stdjson.Unmarshal(input, &objects); err != nil {
		fail(err)
	}
	results := make([]result, 0, len(objects))
	for _, raw := range objects {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = stdjson.Unmarshal(raw, &head)
		r := result{Kind: head.Kind, Name: head.Metadata.Name, Problems: []string{}}
		gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
		if !scheme.Recognizes(gvk) {
			r.Problems = append(r.Problems, fmt.Sprintf("%s is not a kind kube-check knows", gvk))
		} else if _, _, err := strict.Decode(raw, nil, nil); err != nil {
			r.Problems = append(r.Problems, err.Error())
		}
		results = append(results, r)
	}
	if err := stdjson.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kube-check:", err)
	os.Exit(2)
}
