// Package otlpsink is the one fake OTLP/HTTP trace collector of the tests
// and the demo, on loopback: it decodes what a collector would receive,
// answers with any status, delay or Retry-After a test sets (or drops the
// connection), stops and restarts on its address, and counts every
// connection made to it, so tests can prove that none was.
package otlpsink
