//go:build tools

// Package tools pins the kustomize CLI the deploy tests build (tools/deploy/go-tools.ts).
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
