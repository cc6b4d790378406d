// Package otlpsink is a small OTLP/HTTP trace receiver on loopback for the
// end-to-end tests and the demo: it decodes what a collector would receive
// and counts every connection made to it, so tests can prove that none was.
package otlpsink
