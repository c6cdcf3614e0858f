// Package image tells what an uploaded file really is from its first bytes,
// and whether that matches the name and Content-Type it was uploaded with.
//
// It reads headers only: the notifier fetches at most the first 64 KiB of an
// object, so a decoder that needs the whole file is of no use, and a header
// that lies beyond the bytes read yields unknown dimensions, never an error.
// Everything here is pure and never panics, whatever the input.
package image

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Info is what the first bytes of a file say about it.
type Info struct {
	// Type is the sniffed media type, such as "image/jpeg",
	// "application/pdf" or "text/plain; charset=utf-8"; "" when the bytes
	// match no known type, or there are none.
	Type string
	// Image reports whether Type is an image type.
	Image bool
	// Width and Height are the pixel dimensions, 0 when unknown: for a
	// format whose header this package does not read (AVIF, HEIC, SVG,
	// TIFF, BMP, ICO), or when the header lies beyond the bytes given.
	Width, Height int
}

// Dimensions returns the pixel dimensions as "WIDTHxHEIGHT", or "" when
// they are unknown.
func (i Info) Dimensions() string {
	if i.Width <= 0 || i.Height <= 0 {
		return ""
	}
	return strconv.Itoa(i.Width) + "x" + strconv.Itoa(i.Height)
}

// Sniff identifies a file from its first bytes (any length; 64 KiB is
// plenty) and, for JPEG, PNG, GIF and WebP, reads its pixel dimensions.
func Sniff(head []byte) Info {
	if len(head) == 0 {
		// DetectContentType calls nothing "text/plain"; an empty object is
		// better reported as of unknown type than as text.
		return Info{}
	}
	t := http.DetectContentType(head)
	var w, h int
	switch t {
	case "image/jpeg":
		w, h = jpegSize(head)
	case "image/png":
		w, h = pngSize(head)
	case "image/gif":
		w, h = gifSize(head)
	case "image/webp":
		w, h = webpSize(head)
	case "application/octet-stream":
		// The WHATWG sniffing rules behind DetectContentType know none of
		// these image formats.
		t = sniffBinaryImage(head)
	case "text/xml; charset=utf-8", "text/html; charset=utf-8", "text/plain; charset=utf-8":
		// SVG is XML text; it sniffs as XML, as HTML when it opens with a
		// comment, or as plain text without an XML declaration.
		if isSVG(head) {
			t = "image/svg+xml"
		}
	}
	return Info{Type: t, Image: strings.HasPrefix(t, "image/"), Width: w, Height: h}
}

// sniffBinaryImage recognises TIFF and the HEIF family (AVIF, HEIC) by their
// signatures, or returns "".
func sniffBinaryImage(b []byte) string {
	if bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")) {
		return "image/tiff"
	}
	// ISO base media files open with an "ftyp" box: size, "ftyp", the major
	// brand, a minor version, then compatible brands. HEIF files often carry
	// the generic major brand "mif1" and say avif or heic only among the
	// compatible brands, so look at them all.
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return ""
	}
	size := int64(binary.BigEndian.Uint32(b))
	if size < 16 {
		return ""
	}
	// Read the brands within the bytes at hand; the box may be cut short.
	size = min(size, int64(len(b)))
	heif := ""
	for off := 8; int64(off+4) <= size; off += 4 {
		if off == 12 {
			continue // minor version, not a brand
		}
		switch string(b[off : off+4]) {
		case "avif", "avis":
			return "image/avif"
		case "heic", "heix", "heim", "heis", "hevc", "hevx":
			return "image/heic"
		case "mif1", "msf1":
			heif = "image/heif"
		}
	}
	return heif
}

// isSVG reports whether the text's first element is <svg, after any BOM,
// XML declaration, processing instructions, comments and DOCTYPE. An HTML
// page with an inline <svg> further down is not an SVG image.
func isSVG(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		var end []byte
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			end = []byte("?>")
		case bytes.HasPrefix(b, []byte("<!--")):
			end = []byte("-->")
		case bytes.HasPrefix(b, []byte("<!")):
			// A DOCTYPE with an internal subset holds '>' inside brackets;
			// SVG files with one are rare enough to give up on.
			end = []byte(">")
		default:
			rest, ok := bytes.CutPrefix(b, []byte("<svg"))
			if !ok || len(rest) == 0 {
				return false
			}
			switch rest[0] {
			case ' ', '\t', '\r', '\n', '>', '/':
				return true
			}
			return false
		}
		i := bytes.Index(b, end)
		if i < 0 {
			return false
		}
		b = b[i+len(end):]
	}
}

// dims converts header fields to Info dimensions: both or neither, and never
// a value that would overflow an int on a 32-bit platform.
func dims(w, h uint64) (int, int) {
	if w == 0 || h == 0 || w > math.MaxInt32 || h > math.MaxInt32 {
		return 0, 0
	}
	return int(w), int(h)
}

// pngSize reads the IHDR chunk, which the PNG specification puts first.
func pngSize(b []byte) (int, int) {
	if len(b) < 24 || string(b[12:16]) != "IHDR" {
		return 0, 0
	}
	return dims(uint64(binary.BigEndian.Uint32(b[16:])), uint64(binary.BigEndian.Uint32(b[20:])))
}

// gifSize reads the logical screen descriptor after the 6-byte signature.
func gifSize(b []byte) (int, int) {
	if len(b) < 10 {
		return 0, 0
	}
	return dims(uint64(binary.LittleEndian.Uint16(b[6:])), uint64(binary.LittleEndian.Uint16(b[8:])))
}

// webpSize reads the first chunk of a RIFF WebP file: VP8 (lossy), VP8L
// (lossless) or VP8X (extended, which states the canvas size).
func webpSize(b []byte) (int, int) {
	if len(b) < 20 {
		return 0, 0
	}
	data := b[20:] // after "RIFF" size "WEBP" and the first chunk's header
	switch string(b[12:16]) {
	case "VP8 ":
		// A 3-byte frame tag whose low bit is 0 on a key frame, the start
		// code 9d 01 2a, then 14-bit width and height (2 bits of scaling
		// above each).
		if len(data) < 10 || data[0]&1 != 0 || !bytes.Equal(data[3:6], []byte{0x9d, 0x01, 0x2a}) {
			return 0, 0
		}
		w := binary.LittleEndian.Uint16(data[6:]) & 0x3fff
		h := binary.LittleEndian.Uint16(data[8:]) & 0x3fff
		return dims(uint64(w), uint64(h))
	case "VP8L":
		// The signature byte 0x2f, then width-1 and height-1 in 14 bits each,
		// least significant bit first.
		if len(data) < 5 || data[0] != 0x2f {
			return 0, 0
		}
		bits := binary.LittleEndian.Uint32(data[1:])
		return dims(uint64(bits&0x3fff)+1, uint64(bits>>14&0x3fff)+1)
	case "VP8X":
		// One byte of flags, three reserved, then canvas width-1 and
		// height-1 in 24 bits each.
		if len(data) < 10 {
			return 0, 0
		}
		return dims(uint64(uint24(data[4:]))+1, uint64(uint24(data[7:]))+1)
	}
	return 0, 0
}

func uint24(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}

// jpegSize walks the marker segments after SOI to the first frame header
// (SOF0 to SOF15). It skips segments by their length rather than searching
// for a SOF marker, because an EXIF segment may hold a thumbnail JPEG whose
// own SOF would give the thumbnail's size.
func jpegSize(b []byte) (int, int) {
	i := 2 // after SOI
	for {
		// Bytes before a marker are a format error that libjpeg and Go's
		// image/jpeg tolerate by skipping them; do the same.
		for i < len(b) && b[i] != 0xff {
			i++
		}
		// Any number of 0xff fill bytes may precede a marker.
		for i < len(b) && b[i] == 0xff {
			i++
		}
		if i >= len(b) {
			return 0, 0
		}
		m := b[i]
		i++
		switch {
		case m == 0x00:
			continue // a stuffed zero, not a marker
		case m == 0x01 || 0xd0 <= m && m <= 0xd8:
			continue // TEM, RSTn and SOI stand alone, without a length
		case m == 0xd9 || m == 0xda:
			return 0, 0 // EOI or start of scan before any frame header
		}
		if i+2 > len(b) {
			return 0, 0
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 {
			return 0, 0
		}
		if isSOF(m) {
			// Length, sample precision, then height and width. A height of
			// 0 means a later DNL segment gives it: unknown here.
			if i+7 > len(b) {
				return 0, 0
			}
			h := binary.BigEndian.Uint16(b[i+3:])
			w := binary.BigEndian.Uint16(b[i+5:])
			return dims(uint64(w), uint64(h))
		}
		i += n
	}
}

// isSOF reports whether m is a start-of-frame marker: C0 to CF except DHT
// (C4), JPG (C8) and DAC (CC), which share the range.
func isSOF(m byte) bool {
	return 0xc0 <= m && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}
