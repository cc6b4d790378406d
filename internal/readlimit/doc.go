// Package readlimit reads small files whose size a stranger may choose (a
// repository's project files): at most a given number of bytes, regular
// files only, and without hanging on a FIFO planted in their place. Every
// command reads them, so their cost must not grow with what is there.
package readlimit
