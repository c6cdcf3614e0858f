package image

import (
	"fmt"
	"mime"
	"path"
	"strings"
)

// byExtension maps the lower-case extensions this package judges to the
// media type a file so named should have. Go's mime.TypeByExtension is not
// used because it also reads the system's mime.types, which differs from
// machine to machine; a warning must not.
var byExtension = map[string]string{
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".jpe":  "image/jpeg",
	".jfif": "image/jpeg",
	".png":  "image/png",
	".gif":  "image/gif",
	".webp": "image/webp",
	".avif": "image/avif",
	".heic": "image/heic",
	".heif": "image/heif",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".svg":  "image/svg+xml",
	".bmp":  "image/bmp",
	".ico":  "image/x-icon",
	".pdf":  "application/pdf",
	".txt":  "text/plain",
}

// aliases maps media types seen in the wild to the one Sniff reports.
var aliases = map[string]string{
	"image/jpg":                "image/jpeg",
	"image/pjpeg":              "image/jpeg",
	"image/x-png":              "image/png",
	"image/heif":               "image/heic", // one family: a .heif file may hold HEIC
	"image/x-ms-bmp":           "image/bmp",
	"image/x-bmp":              "image/bmp",
	"image/vnd.microsoft.icon": "image/x-icon",
	"image/ico":                "image/x-icon",
	"application/x-pdf":        "application/pdf",
}

// labels names media types for people, article included.
var labels = map[string]string{
	"image/jpeg":                   "a JPEG image",
	"image/png":                    "a PNG image",
	"image/gif":                    "a GIF image",
	"image/webp":                   "a WebP image",
	"image/avif":                   "an AVIF image",
	"image/heic":                   "a HEIC image",
	"image/heif":                   "a HEIF image",
	"image/tiff":                   "a TIFF image",
	"image/svg+xml":                "an SVG image",
	"image/bmp":                    "a BMP image",
	"image/x-icon":                 "an icon",
	"application/pdf":              "a PDF document",
	"application/postscript":       "a PostScript document",
	"application/zip":              "a ZIP archive",
	"application/x-gzip":           "a gzip archive",
	"application/x-rar-compressed": "a RAR archive",
	"text/plain":                   "plain text",
	"text/html":                    "an HTML document",
	"text/xml":                     "an XML document",
	"video/mp4":                    "an MP4 video",
	"video/webm":                   "a WebM video",
	"video/avi":                    "an AVI video",
	"audio/mpeg":                   "an MP3 audio file",
	"audio/wave":                   "a WAV audio file",
}

// Check returns "" when the file looks like the image it claims to be, or a
// short warning for people otherwise: when it is not an image at all, when
// its content does not match the extension of key (compared without case),
// or when it does not match the declared contentType. A generic declared
// type (application/octet-stream, binary/octet-stream) or none is not
// compared. A warning reads, for example:
//
//	photo.jpg is a PDF document (application/pdf), not a JPEG image
//	report.pdf is a PDF document (application/pdf), not an image
//	photo.jpg is a PNG image (image/png), not a JPEG image
//	photo.png is a PNG image (image/png), but its Content-Type is image/jpeg
//	photo.jpg is of an unknown type, not a JPEG image
//
// It names the file by the last element of key, as the message that carries
// the warning names the whole key already.
func Check(key, contentType string, info Info) string {
	name := path.Base(key)
	if key == "" || name == "/" || name == "." {
		name = "the file"
	}
	got := mediaType(info.Type)
	byExt := byExtension[strings.ToLower(path.Ext(key))]
	declared := mediaType(contentType)
	if declared == "application/octet-stream" || declared == "binary/octet-stream" {
		declared = ""
	}

	if !info.Image {
		want := "an image"
		if l := labels[byExt]; strings.HasPrefix(byExt, "image/") && l != "" {
			want = l
		} else if l := labels[declared]; strings.HasPrefix(declared, "image/") && l != "" {
			want = l
		}
		return fmt.Sprintf("%s is %s, not %s", name, describe(got), want)
	}
	if byExt != "" && !same(got, byExt) {
		return fmt.Sprintf("%s is %s, not %s", name, describe(got), labels[byExt])
	}
	if declared != "" && !same(got, declared) {
		return fmt.Sprintf("%s is %s, but its Content-Type is %s", name, describe(got), declared)
	}
	return ""
}

// mediaType returns t in lower case without parameters, or "" when t is
// empty or unparsable.
func mediaType(t string) string {
	if strings.TrimSpace(t) == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(t)
	if err != nil {
		// A malformed parameter still leaves a usable type before it.
		mt, _, _ = strings.Cut(t, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

// same reports whether two media types name the same format.
func same(a, b string) bool {
	return canonical(a) == canonical(b)
}

func canonical(t string) string {
	if c, ok := aliases[t]; ok {
		return c
	}
	return t
}

// describe says what a file of media type t is, for the warning.
func describe(t string) string {
	switch l := labels[t]; {
	case t == "":
		return "of an unknown type"
	case l == "":
		return "of type " + t
	default:
		return l + " (" + t + ")"
	}
}
