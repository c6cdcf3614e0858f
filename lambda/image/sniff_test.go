package image

import (
	"bytes"
	"encoding/binary"
	stdimage "image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// headSize is what the notifier reads of an object: the first 64 KiB.
const headSize = 64 << 10

func picture(w, h int) *stdimage.RGBA {
	img := stdimage.NewRGBA(stdimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(40 * x), uint8(60 * y), 90, 255})
		}
	}
	return img
}

func encodePNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, picture(w, h)); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(w, h), nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, picture(w, h), nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// segment builds a JPEG marker segment: 0xFF, the marker, a length that
// counts itself, the payload.
func segment(marker byte, payload []byte) []byte {
	b := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(payload)+2))
	return append(b, payload...)
}

// withSegments inserts raw bytes right after the SOI of a JPEG.
func withSegments(j []byte, raw ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	for _, r := range raw {
		out = append(out, r...)
	}
	return append(out, j[2:]...)
}

// sof builds a frame header segment for the given SOF marker.
func sof(marker byte, w, h int) []byte {
	p := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}
	return segment(marker, p)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// webp builds a RIFF WebP file whose first chunk is fourcc with data.
func webp(fourcc string, data []byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBP" + fourcc + "\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)+12))
	binary.LittleEndian.PutUint32(b[16:], uint32(len(data)))
	return append(b, data...)
}

func vp8(w, h uint16, frameTag byte) []byte {
	d := []byte{frameTag, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0, 0xaa, 0xbb}
	binary.LittleEndian.PutUint16(d[6:], w)
	binary.LittleEndian.PutUint16(d[8:], h)
	return d
}

func vp8l(w, h uint32) []byte {
	d := []byte{0x2f, 0, 0, 0, 0, 0xaa}
	binary.LittleEndian.PutUint32(d[1:], (w-1)|(h-1)<<14|1<<28) // alpha hint set, version 0
	return d
}

func vp8x(w, h uint32) []byte {
	d := []byte{0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	d[4], d[5], d[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	d[7], d[8], d[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	return d
}

func ftyp(brands ...string) []byte {
	b := []byte{0, 0, 0, 0}
	binary.BigEndian.PutUint32(b, uint32(8+4*len(brands)))
	b = append(b, "ftyp"...)
	for _, br := range brands {
		b = append(b, br...)
	}
	return append(b, "\x00\x00\x00\x10meta"...)
}

// bigAPP fills 64 KiB with APP2 segments of the largest size, as a large ICC
// profile does, so that the frame header lies beyond the head.
func bigAPP() []byte {
	var b []byte
	for range 2 {
		b = append(b, segment(0xe2, make([]byte, 65533))...)
	}
	return b
}

func TestSniff(t *testing.T) {
	jpg := encodeJPEG(t, 3, 2)
	thumb := encodeJPEG(t, 1, 1)
	pngData := encodePNG(t, 3, 2)
	big := make([]byte, 24)
	copy(big, pngData)
	binary.BigEndian.PutUint32(big[16:], 1<<31) // past PNG's own limit
	sofAt := bytes.Index(jpg, []byte{0xff, 0xc0})

	tests := []struct {
		name          string
		head          []byte
		typ           string
		width, height int
	}{
		{name: "png", head: pngData, typ: "image/png", width: 3, height: 2},
		{name: "png cut before IHDR size", head: pngData[:20], typ: "image/png"},
		{name: "png signature only", head: pngData[:8], typ: "image/png"},
		{name: "png with impossible width", head: big, typ: "image/png"},
		{name: "png with another first chunk", head: cat(pngData[:12], []byte("IDAT"), pngData[16:]), typ: "image/png"},

		{name: "jpeg", head: jpg, typ: "image/jpeg", width: 3, height: 2},
		{name: "jpeg head of 64 KiB", head: cat(jpg, make([]byte, headSize))[:headSize], typ: "image/jpeg", width: 3, height: 2},
		{name: "jpeg with exif thumbnail of another size",
			head: withSegments(jpg, segment(0xe1, cat([]byte("Exif\x00\x00"), thumb))),
			typ:  "image/jpeg", width: 3, height: 2},
		{name: "jpeg progressive", head: cat([]byte{0xff, 0xd8}, sof(0xc2, 640, 480)), typ: "image/jpeg", width: 640, height: 480},
		{name: "jpeg lossless huffman", head: cat([]byte{0xff, 0xd8}, sof(0xc3, 17, 9)), typ: "image/jpeg", width: 17, height: 9},
		{name: "jpeg arithmetic progressive", head: cat([]byte{0xff, 0xd8}, sof(0xca, 1, 2)), typ: "image/jpeg", width: 1, height: 2},
		{name: "jpeg DHT DAC and JPG are not frame headers",
			head: cat([]byte{0xff, 0xd8},
				segment(0xc4, []byte{0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}),
				segment(0xcc, []byte{0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}),
				segment(0xc8, []byte{0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}),
				sof(0xc1, 4000, 3000)),
			typ: "image/jpeg", width: 4000, height: 3000},
		{name: "jpeg fill bytes and standalone markers",
			head: cat([]byte{0xff, 0xd8, 0xff, 0xff, 0xff, 0x01, 0xff, 0xd0, 0xff, 0xff}, sof(0xc0, 5, 7)[1:]),
			typ:  "image/jpeg", width: 5, height: 7},
		{name: "jpeg extraneous bytes before a marker",
			head: cat([]byte{0xff, 0xd8}, segment(0xe0, []byte("JFIF\x00")), []byte{0x00, 0x12, 0x34}, sof(0xc0, 5, 7)),
			typ:  "image/jpeg", width: 5, height: 7},
		{name: "jpeg frame header beyond 64 KiB", head: withSegments(jpg, bigAPP())[:headSize], typ: "image/jpeg"},
		{name: "jpeg cut inside the frame header", head: jpg[:sofAt+7], typ: "image/jpeg"},
		{name: "jpeg cut inside a segment length", head: jpg[:5], typ: "image/jpeg"},
		{name: "jpeg signature only", head: []byte{0xff, 0xd8, 0xff}, typ: "image/jpeg"},
		{name: "jpeg scan before frame header", head: cat([]byte{0xff, 0xd8}, segment(0xda, []byte{1, 2, 3}), sof(0xc0, 5, 7)), typ: "image/jpeg"},
		{name: "jpeg end of image", head: cat([]byte{0xff, 0xd8, 0xff, 0xd9}, sof(0xc0, 5, 7)), typ: "image/jpeg"},
		{name: "jpeg height defined later by DNL", head: cat([]byte{0xff, 0xd8}, sof(0xc0, 5, 0)), typ: "image/jpeg"},
		{name: "jpeg segment length below 2", head: []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xc0}, typ: "image/jpeg"},

		{name: "gif", head: encodeGIF(t, 3, 2), typ: "image/gif", width: 3, height: 2},
		{name: "gif 87a", head: []byte("GIF87a\x40\x01\xf0\x00\x00\x00\x00"), typ: "image/gif", width: 320, height: 240},
		{name: "gif cut in the screen descriptor", head: []byte("GIF89a\x03\x00\x02"), typ: "image/gif"},

		{name: "webp lossy from cwebp", head: readFile(t, "lossy.webp"), typ: "image/webp", width: 7, height: 5},
		{name: "webp lossless from cwebp", head: readFile(t, "lossless.webp"), typ: "image/webp", width: 7, height: 5},
		{name: "webp extended from cwebp", head: readFile(t, "extended.webp"), typ: "image/webp", width: 7, height: 5},
		{name: "webp lossy ignores scaling bits", head: webp("VP8 ", vp8(0xc000|1920, 0x4000|1080, 0x50)), typ: "image/webp", width: 1920, height: 1080},
		{name: "webp lossy inter frame", head: webp("VP8 ", vp8(19, 10, 0x51)), typ: "image/webp"},
		{name: "webp lossy without start code", head: webp("VP8 ", append([]byte{0x50, 1, 0, 0, 0, 0}, vp8(19, 10, 0x50)[6:]...)), typ: "image/webp"},
		{name: "webp lossless largest", head: webp("VP8L", vp8l(16384, 16384)), typ: "image/webp", width: 16384, height: 16384},
		{name: "webp lossless smallest", head: webp("VP8L", vp8l(1, 1)), typ: "image/webp", width: 1, height: 1},
		{name: "webp lossless bad signature", head: webp("VP8L", append([]byte{0x2e}, vp8l(3, 2)[1:]...)), typ: "image/webp"},
		{name: "webp extended canvas", head: webp("VP8X", vp8x(1<<24, 3)), typ: "image/webp", width: 1 << 24, height: 3},
		{name: "webp extended cut short", head: webp("VP8X", vp8x(300, 200))[:28], typ: "image/webp"},
		{name: "webp header only", head: webp("VP8 ", nil)[:16], typ: "image/webp"},

		{name: "pdf", head: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), typ: "application/pdf"},
		{name: "text", head: []byte("hello, world\n"), typ: "text/plain; charset=utf-8"},
		{name: "html", head: []byte("<!DOCTYPE html><html><body><svg></svg>"), typ: "text/html; charset=utf-8"},
		{name: "zip", head: []byte("PK\x03\x04\x14\x00\x00\x00"), typ: "application/zip"},
		{name: "mp4", head: ftyp("isom", "\x00\x00\x02\x00", "isom", "mp41"), typ: "video/mp4"},

		{name: "svg", head: []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2"/>`), typ: "image/svg+xml"},
		{name: "svg with declaration, comment and doctype",
			head: []byte("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- drawn by hand -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\">\n<svg\n  viewBox=\"0 0 3 2\">"),
			typ:  "image/svg+xml"},
		{name: "svg opening with a comment", head: []byte("<!-- x --><svg>"), typ: "image/svg+xml"},
		{name: "xml that is not svg", head: []byte(`<?xml version="1.0"?><svgx/>`), typ: "text/xml; charset=utf-8"},
		{name: "unterminated comment", head: []byte("<!-- <svg>"), typ: "text/html; charset=utf-8"},

		{name: "avif", head: ftyp("avif", "\x00\x00\x00\x00", "avif", "mif1", "miaf"), typ: "image/avif"},
		{name: "heic", head: ftyp("heic", "\x00\x00\x00\x00", "mif1", "heic"), typ: "image/heic"},
		{name: "heif brand with heic among compatible", head: ftyp("mif1", "\x00\x00\x00\x00", "mif1", "heic"), typ: "image/heic"},
		{name: "heif brand with avif among compatible", head: ftyp("mif1", "\x00\x00\x00\x00", "mif1", "miaf", "avif"), typ: "image/avif"},
		{name: "heif generic", head: ftyp("mif1", "\x00\x00\x00\x00", "mif1"), typ: "image/heif"},
		{name: "ftyp box cut short", head: ftyp("avif", "\x00\x00\x00\x00", "avif")[:16], typ: "image/avif"},
		{name: "ftyp box too small", head: cat([]byte{0, 0, 0, 8}, []byte("ftypheic\x00\x00\x00\x00")), typ: ""},
		{name: "tiff little endian", head: []byte("II*\x00\x08\x00\x00\x00"), typ: "image/tiff"},
		{name: "tiff big endian", head: []byte("MM\x00*\x00\x00\x00\x08"), typ: "image/tiff"},
		{name: "bmp", head: []byte("BM\x36\x00\x00\x00\x00\x00"), typ: "image/bmp"},
		{name: "ico", head: []byte("\x00\x00\x01\x00\x01\x00\x10\x10"), typ: "image/x-icon"},

		{name: "empty", head: nil, typ: ""},
		{name: "unknown binary", head: []byte{0x00, 0x9a, 0xfe, 0x13, 0x00}, typ: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sniff(tt.head)
			want := Info{Type: tt.typ, Image: strings.HasPrefix(tt.typ, "image/"), Width: tt.width, Height: tt.height}
			if got != want {
				t.Errorf("Sniff() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestInfoDimensions(t *testing.T) {
	tests := []struct {
		name string
		info Info
		want string
	}{
		{name: "known", info: Info{Type: "image/png", Image: true, Width: 1920, Height: 1080}, want: "1920x1080"},
		{name: "unknown", info: Info{Type: "image/jpeg", Image: true}, want: ""},
		{name: "half known", info: Info{Width: 3}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.info.Dimensions(); got != tt.want {
				t.Errorf("Dimensions() = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzSniff(f *testing.F) {
	jpg := encodeJPEG(f, 3, 2)
	for _, seed := range [][]byte{
		jpg,
		withSegments(jpg, segment(0xe1, cat([]byte("Exif\x00\x00"), encodeJPEG(f, 1, 1)))),
		cat([]byte{0xff, 0xd8, 0xff, 0xff, 0x01}, sof(0xc2, 5, 7)),
		encodePNG(f, 3, 2),
		encodeGIF(f, 3, 2),
		readFile(f, "lossy.webp"),
		readFile(f, "lossless.webp"),
		readFile(f, "extended.webp"),
		webp("VP8X", vp8x(300, 200)),
		ftyp("mif1", "\x00\x00\x00\x00", "heic"),
		[]byte("II*\x00"),
		[]byte("<?xml version=\"1.0\"?><!-- c --><svg>"),
		[]byte("%PDF-1.4"),
		[]byte("plain text"),
		nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		info := Sniff(head)
		if info.Width < 0 || info.Height < 0 || (info.Width == 0) != (info.Height == 0) {
			t.Errorf("Sniff() dimensions %dx%d: want both positive or both 0", info.Width, info.Height)
		}
		if info.Image != strings.HasPrefix(info.Type, "image/") {
			t.Errorf("Sniff() = %+v: Image disagrees with Type", info)
		}
		if info.Width > 0 && !info.Image {
			t.Errorf("Sniff() = %+v: dimensions for a file that is no image", info)
		}
		_ = info.Dimensions()
		_ = Check("photo.jpg", "image/jpeg; charset=\"", info)
	})
}

// BenchmarkSniff sniffs what the notifier reads of a camera JPEG: 64 KiB whose
// frame header follows a 40 KB EXIF segment.
func BenchmarkSniff(b *testing.B) {
	exif := segment(0xe1, cat([]byte("Exif\x00\x00"), make([]byte, 40_000)))
	head := withSegments(encodeJPEG(b, 64, 48), exif)
	head = cat(head, make([]byte, headSize))[:headSize]
	if got := Sniff(head); got.Width != 64 || got.Height != 48 {
		b.Fatalf("Sniff() = %+v, want 64x48", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		Sniff(head)
	}
}
