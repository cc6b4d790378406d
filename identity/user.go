package identity

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/anontel/anontel/internal/userfile"
)

// UserID returns the user id stored in the telemetry.toml at path
// ([telemetry] uuid), creating a random (version 4) id when there is none.
// Both the 36-character and the 32-hex-digit forms are read; the canonical
// 36-character lower-case form is returned. Call it only with consent on.
//
// Creating the id is one locked read-modify-write, so any number of
// concurrent first runs end with one id. A corrupt file or an invalid id is
// kept as telemetry.toml.corrupt-<timestamp> and replaced by a fresh id;
// other keys and comments are preserved. An unwritable folder gives an error
// and no id.
func UserID(path string) (string, error) {
	// Fast path, no lock: files are replaced atomically.
	if values, err := userfile.Load(path); err == nil {
		if id, ok := userfile.UserID(values); ok {
			return id, nil
		}
	}
	var id string
	var backupErr error
	err := userfile.Update(path, func(values map[string]any) (string, any, bool) {
		_, present := values[userfile.UserIDKey]
		if v, ok := userfile.UserID(values); ok {
			id = v
			return "", nil, false
		}
		if present {
			// A bad id is user data too: keep a copy before healing.
			if _, err := userfile.Backup(path); err != nil {
				backupErr = err
				return "", nil, false
			}
		}
		u, err := uuid.NewRandom()
		if err != nil {
			backupErr = err
			return "", nil, false
		}
		id = u.String()
		return userfile.UserIDKey, id, true
	})
	if err == nil {
		err = backupErr
	}
	if err != nil {
		return "", fmt.Errorf("identity: user id: %w", err)
	}
	return id, nil
}
