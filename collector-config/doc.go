// Package jaegere2e holds no library code: it tests jaeger.yaml, the Jaeger v2
// configuration in this folder, end to end. Jaeger is built from the tool
// directive in this nested module (so its dependencies stay out of the
// library's go.mod), pipectl is built from the parent module, and pipectl's
// spans are read back through Jaeger's query API.
package jaegere2e
