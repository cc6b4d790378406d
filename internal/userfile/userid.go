package userfile

import "github.com/google/uuid"

// UserIDKey is the key of the user id in the [telemetry] table.
const UserIDKey = "uuid"

// UserID returns the user id stored in values (from Parse or Load): the
// 36-character or 32-hex-digit form, any case, in the canonical form. The
// nil UUID is refused: it would merge every user holding it into one.
func UserID(values map[string]any) (string, bool) {
	s, ok := values[UserIDKey].(string)
	if !ok || (len(s) != 36 && len(s) != 32) {
		return "", false
	}
	u, err := uuid.Parse(s)
	if err != nil || u == uuid.Nil {
		return "", false
	}
	return u.String(), true
}
