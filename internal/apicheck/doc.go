// Package apicheck holds the test that keeps api.txt, the list of every
// exported name of anontel's public packages, in step with the code, in
// the style of Go's own api/ check: a change to the public API shows up in
// review as a change to api.txt. Run
//
//	go test ./internal/apicheck -update
//
// to rewrite api.txt after an intended change.
package apicheck
