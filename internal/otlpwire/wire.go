package otlpwire

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// Wire types of the protobuf encoding.
const (
	wireVarint     = 0
	wireFixed64    = 1
	wireBytes      = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireFixed32    = 5
)

// Bounds the generated code puts on field numbers and nesting.
const (
	maxFieldNumber = 1<<29 - 1
	maxDepth       = 10000
)

var (
	errTruncated  = errors.New("otlpwire: truncated or malformed field")
	errFieldTag   = errors.New("otlpwire: invalid field tag")
	errTooDeep    = errors.New("otlpwire: nesting too deep")
	errInvalidUTF = errors.New("otlpwire: a string field is not valid UTF-8")
)

func appendTag(b []byte, num, typ int) []byte {
	return binary.AppendUvarint(b, uint64(num)<<3|uint64(typ))
}

func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// field is one decoded field. v holds a varint, fixed32 or fixed64; b
// the contents of a length-delimited field.
type field struct {
	num int
	typ int
	v   uint64
	b   []byte
}

// consumeVarint reads a varint of at most 10 bytes whose last byte does
// not overflow 64 bits, as the generated code requires.
func consumeVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, -1
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

// nextField reads the field at the start of b and returns it with the
// bytes after it. A group, which no OTLP field is, is skipped whole and
// returned with typ wireStartGroup so that the caller ignores it.
func nextField(b []byte) (field, []byte, error) {
	tag, n := consumeVarint(b)
	if n < 0 {
		return field{}, nil, errTruncated
	}
	b = b[n:]
	if tag>>3 < 1 || tag>>3 > maxFieldNumber {
		return field{}, nil, errFieldTag
	}
	f := field{num: int(tag >> 3), typ: int(tag & 7)}
	switch f.typ {
	case wireStartGroup:
		n = skipGroup(uint64(f.num), b, maxDepth)
	default:
		n = consumeValue(f.typ, b, &f)
	}
	if n < 0 {
		return field{}, nil, errTruncated
	}
	return f, b[n:], nil
}

// consumeValue reads a value of wire type typ (not a group) into f and
// returns its length, or -1.
func consumeValue(typ int, b []byte, f *field) int {
	switch typ {
	case wireVarint:
		v, n := consumeVarint(b)
		f.v = v
		return n
	case wireFixed64:
		if len(b) < 8 {
			return -1
		}
		f.v = binary.LittleEndian.Uint64(b)
		return 8
	case wireFixed32:
		if len(b) < 4 {
			return -1
		}
		f.v = uint64(binary.LittleEndian.Uint32(b))
		return 4
	case wireBytes:
		m, n := consumeVarint(b)
		if n < 0 || m > uint64(len(b)-n) {
			return -1
		}
		f.b = b[n : n+int(m)]
		return n + int(m)
	}
	return -1 // an end group out of place, or reserved types 6 and 7
}

// skipGroup returns the length of the group num whose start tag came just
// before b, up to and including its end tag, or -1. Inside a group the
// generated code accepts field numbers up to MaxInt32.
func skipGroup(num uint64, b []byte, depth int) int {
	if depth < 0 {
		return -1
	}
	n0 := len(b)
	for {
		tag, n := consumeVarint(b)
		if n < 0 || tag>>3 < 1 || tag>>3 > 1<<31-1 {
			return -1
		}
		b = b[n:]
		switch typ := int(tag & 7); typ {
		case wireEndGroup:
			if tag>>3 != num {
				return -1
			}
			return n0 - len(b)
		case wireStartGroup:
			n = skipGroup(tag>>3, b, depth-1)
		default:
			var f field
			n = consumeValue(typ, b, &f)
		}
		if n < 0 {
			return -1
		}
		b = b[n:]
	}
}
