package instrument

import "go.opentelemetry.io/otel/attribute"

// The span attributes that have no semantic-convention key. With the
// conventions' keys they are the public contract listed in README.md.
const (
	KeyProjectID  = attribute.Key("cli.project.id")
	KeyDatasets   = attribute.Key("cli.project.datasets")
	KeyNodes      = attribute.Key("cli.project.nodes")
	KeyPipelines  = attribute.Key("cli.project.pipelines")
	KeyNewTools   = attribute.Key("cli.new.tools")
	KeyNewExample = attribute.Key("cli.new.example_pipeline")
	KeyCI         = attribute.Key("cli.ci")
	KeyConsent    = attribute.Key("cli.consent")
)
