// Package packaging holds what a release is made of besides the code:
// the systemd unit, the tool builder (tools.sh), the image builder
// (image/, its own module) and, under the release build tag, the test
// that inspects what `make release` produced in dist/.
package packaging
