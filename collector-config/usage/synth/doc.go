// Package synth generates realistic, seeded usage of a CLI tool (users who
// join over the weeks and churn, projects that grow, a command mix with
// flags and failures, releases every three weeks adopted with a lag, CI
// machines, explicit and implicit consent) and writes it through pdata's
// encoder framed as the collector's file exporter frames it. The events it
// returns are the truth the report is checked against.
package synth
