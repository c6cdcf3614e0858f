package image

import "testing"

func TestCheck(t *testing.T) {
	var (
		jpg  = Info{Type: "image/jpeg", Image: true, Width: 3, Height: 2}
		png  = Info{Type: "image/png", Image: true, Width: 3, Height: 2}
		heic = Info{Type: "image/heic", Image: true}
		heif = Info{Type: "image/heif", Image: true}
		svg  = Info{Type: "image/svg+xml", Image: true}
		pdf  = Info{Type: "application/pdf"}
		text = Info{Type: "text/plain; charset=utf-8"}
		wasm = Info{Type: "application/wasm"}
	)
	tests := []struct {
		name        string
		key         string
		contentType string
		info        Info
		want        string
	}{
		{name: "jpeg as declared", key: "shoot/photo.jpg", contentType: "image/jpeg", info: jpg},
		{name: "extension in capitals", key: "PHOTO.JPEG", contentType: "image/jpeg", info: jpg},
		{name: "no declared type", key: "photo.png", info: png},
		{name: "generic declared type", key: "photo.png", contentType: "application/octet-stream", info: png},
		{name: "generic declared type from old tools", key: "photo.png", contentType: "binary/octet-stream", info: png},
		{name: "declared alias", key: "photo.jpg", contentType: "image/jpg", info: jpg},
		{name: "declared type with parameters and capitals", key: "photo.jpg", contentType: "Image/JPEG; q=1", info: jpg},
		{name: "image without extension", key: "scans/0001", contentType: "image/jpeg", info: jpg},
		{name: "image with an extension not judged", key: "photo.raw", info: jpg},
		{name: "heif extension for heic content", key: "IMG_0001.HEIF", contentType: "image/heif", info: heic},
		{name: "heic extension for generic heif content", key: "IMG_0001.heic", contentType: "image/heic", info: heif},
		{name: "svg", key: "logo.svg", contentType: "image/svg+xml", info: svg},

		{name: "pdf named jpg", key: "photo.jpg", contentType: "image/jpeg", info: pdf,
			want: "photo.jpg is a PDF document (application/pdf), not a JPEG image"},
		{name: "pdf named pdf", key: "docs/report.pdf", contentType: "application/pdf", info: pdf,
			want: "report.pdf is a PDF document (application/pdf), not an image"},
		{name: "pdf declared as an image without extension", key: "upload", contentType: "image/png", info: pdf,
			want: "upload is a PDF document (application/pdf), not a PNG image"},
		{name: "text named png", key: "a/b/c.png", info: text,
			want: "c.png is plain text (text/plain), not a PNG image"},
		{name: "type without a label", key: "photo.webp", info: wasm,
			want: "photo.webp is of type application/wasm, not a WebP image"},
		{name: "unknown content", key: "photo.jpg", contentType: "image/jpeg", info: Info{},
			want: "photo.jpg is of an unknown type, not a JPEG image"},
		{name: "unknown content without extension", key: "blob", info: Info{},
			want: "blob is of an unknown type, not an image"},
		{name: "png named jpg", key: "photo.JPG", contentType: "image/jpeg", info: png,
			want: "photo.JPG is a PNG image (image/png), not a JPEG image"},
		{name: "jpeg named pdf", key: "scan.pdf", info: jpg,
			want: "scan.pdf is a JPEG image (image/jpeg), not a PDF document"},
		{name: "png declared as jpeg", key: "photo.png", contentType: "image/jpeg", info: png,
			want: "photo.png is a PNG image (image/png), but its Content-Type is image/jpeg"},
		{name: "image declared as text", key: "photo", contentType: "text/plain; charset=utf-8", info: png,
			want: "photo is a PNG image (image/png), but its Content-Type is text/plain"},
		{name: "extension mismatch wins over content type", key: "photo.gif", contentType: "image/webp", info: png,
			want: "photo.gif is a PNG image (image/png), not a GIF image"},
		{name: "folder key", key: "shoot/", info: Info{},
			want: "shoot is of an unknown type, not an image"},
		{name: "empty key", key: "", info: pdf,
			want: "the file is a PDF document (application/pdf), not an image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.key, tt.contentType, tt.info); got != tt.want {
				t.Errorf("Check(%q, %q, %+v) =\n%q, want\n%q", tt.key, tt.contentType, tt.info, got, tt.want)
			}
		})
	}
}

// TestSniffThenCheck runs both halves on real bytes, as the notifier does.
func TestSniffThenCheck(t *testing.T) {
	tests := []struct {
		name        string
		key         string
		contentType string
		head        []byte
		want        string
	}{
		{name: "jpeg", key: "photo.jpg", contentType: "image/jpeg", head: encodeJPEG(t, 3, 2)},
		{name: "webp", key: "photo.webp", contentType: "image/webp", head: readFile(t, "lossless.webp")},
		{name: "pdf named jpg", key: "photo.jpg", contentType: "image/jpeg", head: []byte("%PDF-1.7\n"),
			want: "photo.jpg is a PDF document (application/pdf), not a JPEG image"},
		{name: "empty object", key: "photo.jpg", head: nil,
			want: "photo.jpg is of an unknown type, not a JPEG image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.key, tt.contentType, Sniff(tt.head)); got != tt.want {
				t.Errorf("Check() = %q, want %q", got, tt.want)
			}
		})
	}
}
