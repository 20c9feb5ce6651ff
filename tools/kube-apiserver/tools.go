//go:build tools

// Package tools pins the Kubernetes API server and kubectl the deploy tests build
// (tools/deploy/go-tools.ts). k8s.io/kubernetes is not meant to be required as a module: its
// go.mod replaces every k8s.io staging module with a folder of its own repository, so the
// replace lines in go.mod point each at the release published for v1.37.2 (v0.37.2) instead.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
