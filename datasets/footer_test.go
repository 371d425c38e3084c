package datasets

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestSkimThrift(t *testing.T) {
	golden, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	n := len(golden)
	footerLen := int(binary.LittleEndian.Uint32(golden[n-8:]))
	footer := golden[n-8-footerLen : n-8]

	deep := []byte{}
	for range maxThriftDepth + 2 {
		deep = append(deep, 0x1c) // field 1, type struct
	}
	tests := []struct {
		name string
		b    []byte
		text string // "" means valid
	}{
		{"golden footer", footer, ""},
		{"empty struct", []byte{0}, ""},
		{"list claiming a billion elements", []byte{0x19, 0xf5, 0x80, 0x94, 0xeb, 0xdc, 0x03}, "exceeds"},
		{"binary longer than the input", []byte{0x18, 0x7f, 'a'}, "exceeds"},
		{"map claiming many entries", []byte{0x1b, 0xff, 0xff, 0x03, 0x55}, "exceeds"},
		{"nesting too deep", deep, "too deep"},
		{"cut short", footer[:len(footer)/2], ""},
		{"unknown type", []byte{0x1d}, "unknown type"},
		{"endless varint", []byte{0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "varint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := skimThrift(tt.b)
			switch {
			case tt.name == "cut short":
				if !errors.Is(err, errThrift) {
					t.Errorf("skimThrift(cut footer) = %v, want errThrift", err)
				}
			case tt.text == "":
				if err != nil {
					t.Errorf("skimThrift = %v, want nil", err)
				}
			case !errors.Is(err, errThrift) || !strings.Contains(err.Error(), tt.text):
				t.Errorf("skimThrift = %v, want errThrift mentioning %q", err, tt.text)
			}
		})
	}
}
