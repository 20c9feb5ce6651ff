//go:build tools

// Package tools pins the Helm CLI the deploy tests build (tools/deploy/tools.ts).
package tools

import _ "helm.sh/helm/v4/cmd/helm"
