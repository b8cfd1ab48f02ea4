package nsproc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
)

// The wire format of every message (see protocol.go): fields of
//
//	tag    uint32, little-endian: the field's `tlv` number
//	length uint32, little-endian
//	value  length bytes
//
// A value is an integer (8 bytes, two's complement, little-endian), a
// boolean (an integer, 1; false is left out), bytes or a string (as they
// are), or a nested message (its fields). A slice is its field repeated,
// once per element, in order. Zero values are left out, except a nested
// message that is set (a non-nil pointer), which is there even if empty.
// The reader refuses what it does not expect: an unknown tag, a scalar
// given twice, an integer of another length or out of range.

const tlvHeader = 8

// maxDepth bounds nested messages; the protocol nests two deep.
const maxDepth = 4

// marshal encodes v, a struct or a pointer to one.
func marshal(v any) ([]byte, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("marshal %T: not a message", v)
	}
	return appendFields(nil, rv)
}

func appendFields(b []byte, rv reflect.Value) ([]byte, error) {
	var err error
	for _, f := range fieldsOf(rv.Type()) {
		fv := rv.Field(f.index)
		switch fv.Kind() {
		case reflect.Slice:
			if fv.Type().Elem().Kind() == reflect.Uint8 {
				if fv.Len() > 0 {
					b = appendField(b, f.tag, fv.Bytes())
				}
				continue
			}
			for i := range fv.Len() {
				if b, err = appendValue(b, f.tag, fv.Index(i)); err != nil {
					return nil, err
				}
			}
		case reflect.Pointer:
			if !fv.IsNil() {
				if b, err = appendValue(b, f.tag, fv.Elem()); err != nil {
					return nil, err
				}
			}
		default:
			if !fv.IsZero() {
				if b, err = appendValue(b, f.tag, fv); err != nil {
					return nil, err
				}
			}
		}
	}
	return b, nil
}

// appendValue appends one field of tag holding v.
func appendValue(b []byte, tag uint32, v reflect.Value) ([]byte, error) {
	switch v.Kind() {
	case reflect.String:
		return appendField(b, tag, []byte(v.String())), nil
	case reflect.Bool:
		return appendInt(b, tag, 1), nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return appendInt(b, tag, v.Int()), nil
	case reflect.Uint32, reflect.Uint16:
		return appendInt(b, tag, int64(v.Uint())), nil
	case reflect.Struct:
		start := len(b)
		b = appendField(b, tag, nil)
		b, err := appendFields(b, v)
		if err != nil {
			return nil, err
		}
		if len(b)-start-tlvHeader > math.MaxUint32 {
			return nil, errors.New("message too long")
		}
		binary.LittleEndian.PutUint32(b[start+4:], uint32(len(b)-start-tlvHeader))
		return b, nil
	}
	return nil, fmt.Errorf("field %d: cannot encode a %s", tag, v.Type())
}

func appendInt(b []byte, tag uint32, v int64) []byte {
	return appendField(b, tag, binary.LittleEndian.AppendUint64(nil, uint64(v)))
}

func appendField(b []byte, tag uint32, val []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, tag)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
	return append(b, val...)
}

// unmarshal decodes b into v, a pointer to a struct, which it zeroes
// first.
func unmarshal(b []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("unmarshal into %T: not a pointer to a message", v)
	}
	rv.Elem().SetZero()
	return decodeFields(b, rv.Elem(), 0)
}

func decodeFields(b []byte, rv reflect.Value, depth int) error {
	if depth > maxDepth {
		return errors.New("messages nested too deep")
	}
	fields := fieldsOf(rv.Type())
	seen := map[uint32]bool{}
	for len(b) > 0 {
		if len(b) < tlvHeader {
			return fmt.Errorf("%d bytes left, too few for a field", len(b))
		}
		tag := binary.LittleEndian.Uint32(b)
		n := binary.LittleEndian.Uint32(b[4:])
		if uint64(n) > uint64(len(b)-tlvHeader) {
			return fmt.Errorf("field %d: %d bytes, %d left", tag, n, len(b)-tlvHeader)
		}
		val := b[tlvHeader : tlvHeader+int(n)]
		b = b[tlvHeader+int(n):]
		f, ok := fields.byTag(tag)
		if !ok {
			return fmt.Errorf("field %d: not one of %s", tag, rv.Type().Name())
		}
		fv := rv.Field(f.index)
		repeated := fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() != reflect.Uint8
		if seen[tag] && !repeated {
			return fmt.Errorf("field %d (%s) given twice", tag, f.name)
		}
		seen[tag] = true
		var err error
		switch {
		case repeated:
			elem := reflect.New(fv.Type().Elem()).Elem()
			if err = decodeValue(val, elem, depth); err == nil {
				fv.Set(reflect.Append(fv, elem))
			}
		case fv.Kind() == reflect.Pointer:
			elem := reflect.New(fv.Type().Elem())
			if err = decodeValue(val, elem.Elem(), depth); err == nil {
				fv.Set(elem)
			}
		default:
			err = decodeValue(val, fv, depth)
		}
		if err != nil {
			return fmt.Errorf("field %d (%s): %w", tag, f.name, err)
		}
	}
	return nil
}

// decodeValue sets v from one field's value.
func decodeValue(val []byte, v reflect.Value, depth int) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(string(val))
		return nil
	case reflect.Slice: // []byte
		v.SetBytes(append([]byte(nil), val...))
		return nil
	case reflect.Struct:
		return decodeFields(val, v, depth+1)
	}
	if len(val) != 8 {
		return fmt.Errorf("an integer of %d bytes, want 8", len(val))
	}
	n := int64(binary.LittleEndian.Uint64(val))
	switch v.Kind() {
	case reflect.Bool:
		if n != 1 {
			return fmt.Errorf("a boolean of %d", n)
		}
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v.OverflowInt(n) {
			return fmt.Errorf("%d out of range", n)
		}
		v.SetInt(n)
	case reflect.Uint32, reflect.Uint16:
		if n < 0 || v.OverflowUint(uint64(n)) {
			return fmt.Errorf("%d out of range", n)
		}
		v.SetUint(uint64(n))
	default:
		return fmt.Errorf("cannot decode a %s", v.Type())
	}
	return nil
}

// tlvField is a struct field that has a tag on the wire.
type tlvField struct {
	name  string
	index int
	tag   uint32
}

type tlvFields []tlvField

func (fs tlvFields) byTag(tag uint32) (tlvField, bool) {
	for _, f := range fs {
		if f.tag == tag {
			return f, true
		}
	}
	return tlvField{}, false
}

var fieldCache sync.Map // reflect.Type → tlvFields

// fieldsOf lists t's fields that have a `tlv` tag.
func fieldsOf(t reflect.Type) tlvFields {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(tlvFields)
	}
	var fs tlvFields
	for i := range t.NumField() {
		sf := t.Field(i)
		s, ok := sf.Tag.Lookup("tlv")
		if !ok {
			continue
		}
		tag, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			panic(fmt.Sprintf("nsproc: %s.%s: bad tlv tag %q", t.Name(), sf.Name, s))
		}
		fs = append(fs, tlvField{name: sf.Name, index: i, tag: uint32(tag)})
	}
	fieldCache.Store(t, fs)
	return fs
}
