// Command helm-render renders a Helm chart the way `helm template` does, for machines without
// Helm (docs/adr/0007-rendering-the-chart-without-helm.md). It uses what Helm's engine uses:
// Go's text/template, Sprig's function library, sigs.k8s.io/yaml for toYaml/fromYaml and
// gojsonschema for values.schema.json, plus Helm's own functions (include, tpl, required,
// lookup, ...). Charts with dependencies, .Files and toToml are out of scope: this chart uses none.
//
//	helm-render --chart DIR [--values FILE]... [--name RELEASE] [--namespace NS] [--api-versions a/v1,b/v1]
//
// Prints one JSON document: {"manifests":[{"template":"...","object":{...}}],"notes":"..."}.
// Any error (schema, required, fail, parse) is printed on stderr with exit code 1.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig" // Debian: GOPATH layout of sprig v3
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type manifest struct {
	Template string                 `json:"template"`
	Object   map[string]interface{} `json:"object"`
}

type output struct {
	Manifests []manifest `json:"manifests"`
	Notes     string     `json:"notes"`
}

// apiVersions answers .Capabilities.APIVersions.Has like Helm's VersionSet.
type apiVersions []string

func (v apiVersions) Has(name string) bool {
	for _, x := range v {
		if x == name {
			return true
		}
	}
	return false
}

func readYAMLMap(file string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// coalesce merges src over dst as Helm does for -f files: maps merge, anything else replaces,
// and an explicit null deletes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for key, value := range src {
		if value == nil {
			delete(dst, key)
			continue
		}
		srcMap, srcIsMap := value.(map[string]interface{})
		dstMap, dstIsMap := dst[key].(map[string]interface{})
		if srcIsMap && dstIsMap {
			dst[key] = coalesce(dstMap, srcMap)
		} else {
			dst[key] = value
		}
	}
	return dst
}

func validateSchema(chartDir string, values map[string]interface{}) error {
	schemaFile := filepath.Join(chartDir, "values.schema.json")
	raw, err := os.ReadFile(schemaFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(raw), gojsonschema.NewGoLoader(values))
	if err != nil {
		return fmt.Errorf("values.schema.json: %w", err)
	}
	if result.Valid() {
		return nil
	}
	var lines []string
	for _, e := range result.Errors() {
		lines = append(lines, "- "+e.String())
	}
	return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", strings.Join(lines, "\n"))
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// required is Helm's: nil or an empty string is an error carrying the chart's message.
func required(message string, value interface{}) (interface{}, error) {
	if value == nil {
		return value, errors.New(message)
	}
	if s, ok := value.(string); ok && s == "" {
		return value, errors.New(message)
	}
	return value, nil
}

func render(chartDir string, valueFiles []string, release map[string]interface{}, capabilities map[string]interface{}) (*output, error) {
	chart, err := readYAMLMap(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	// .Chart exposes Chart.yaml's fields capitalised (name -> Name), as Helm's chart.Metadata does.
	chartValues := map[string]interface{}{}
	for key, value := range chart {
		chartValues[strings.ToUpper(key[:1])+key[1:]] = value
	}
	values, err := readYAMLMap(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	for _, file := range valueFiles {
		extra, err := readYAMLMap(file)
		if err != nil {
			return nil, err
		}
		values = coalesce(values, extra)
	}
	if err := validateSchema(chartDir, values); err != nil {
		return nil, err
	}

	var names []string
	templatesDir := filepath.Join(chartDir, "templates")
	err = filepath.WalkDir(templatesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)

	root := template.New("gotpl")
	root.Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["required"] = required
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // like `helm template`: no cluster to look in
	}
	// include and tpl need the template set itself; includedNames stops runaway recursion.
	includedNames := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	root.Funcs(funcs)

	chartName, _ := chart["name"].(string)
	for _, file := range names {
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(chartDir, file)
		if _, err := root.New(filepath.ToSlash(filepath.Join(chartName, rel))).Parse(string(text)); err != nil {
			return nil, err
		}
	}

	out := &output{Manifests: []manifest{}}
	for _, file := range names {
		rel, _ := filepath.Rel(chartDir, file)
		name := filepath.ToSlash(filepath.Join(chartName, rel))
		base := filepath.Base(file)
		if strings.HasPrefix(base, "_") {
			continue // partials: only for include
		}
		top := map[string]interface{}{
			"Values":       values,
			"Release":      release,
			"Chart":        chartValues,
			"Capabilities": capabilities,
			"Template":     map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, top); err != nil {
			return nil, err
		}
		rendered := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			out.Notes = rendered
			continue
		}
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(rendered, -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			object := map[string]interface{}{}
			if err := yaml.Unmarshal([]byte(doc), &object); err != nil {
				return nil, fmt.Errorf("%s: rendered YAML does not parse: %w\n%s", name, err, doc)
			}
			if len(object) == 0 {
				continue // only comments
			}
			out.Manifests = append(out.Manifests, manifest{Template: name, Object: object})
		}
	}
	return out, nil
}

func main() {
	var valueFiles stringList
	chartDir := flag.String("chart", "", "chart directory")
	releaseName := flag.String("name", "writeback", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	apis := flag.String("api-versions", "", "extra API versions the cluster serves, comma separated (e.g. monitoring.coreos.com/v1)")
	kubeVersion := flag.String("kube-version", "v1.30.0", "Kubernetes version the chart is rendered for")
	flag.Var(&valueFiles, "values", "values file (repeatable; later files win)")
	flag.Parse()
	if *chartDir == "" {
		fmt.Fprintln(os.Stderr, "helm-render: --chart is required")
		os.Exit(2)
	}
	versions := apiVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}
	for _, v := range strings.Split(*apis, ",") {
		if v = strings.TrimSpace(v); v != "" {
			versions = append(versions, v)
		}
	}
	parts := strings.SplitN(strings.TrimPrefix(*kubeVersion, "v"), ".", 3)
	if len(parts) < 2 {
		fmt.Fprintln(os.Stderr, "helm-render: --kube-version must look like v1.30.0")
		os.Exit(2)
	}
	capabilities := map[string]interface{}{
		"KubeVersion": map[string]interface{}{"Version": *kubeVersion, "GitVersion": *kubeVersion, "Major": parts[0], "Minor": parts[1]},
		"APIVersions": versions,
	}
	release := map[string]interface{}{
		"Name": *releaseName, "Namespace": *namespace, "Service": "Helm",
		"IsInstall": true, "IsUpgrade": false, "Revision": 1,
	}
	out, err := render(*chartDir, valueFiles, release, capabilities)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
