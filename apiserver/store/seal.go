package store

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
)

// sealedPrefix starts every encrypted secret in etcd:
// krake:enc:v1:<key id>:<base64 of nonce and AES-GCM ciphertext>, whose
// plaintext is the secret's JSON (a string, or an object for exec configs).
const sealedPrefix = "krake:enc:v1:"

// ErrSealed is reading encrypted secrets without their key.
var ErrSealed = errors.New("stored secrets are encrypted with a key this server does not have; start it with the --encryption-key-file that holds it")

// Sealer encrypts the credential fields of objects at rest (AES-256-GCM).
// The first key encrypts; every key decrypts, so keys rotate by putting a
// new one first: objects written before stay readable, and each is
// re-encrypted with the new key when next written.
type Sealer struct {
	keys []sealKey
}

type sealKey struct {
	id   string
	aead cipher.AEAD
}

// NewSealer returns a sealer of 32-byte keys.
func NewSealer(keys ...[]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("no encryption key")
	}
	s := &Sealer{}
	for i, key := range keys {
		if len(key) != 32 {
			return nil, fmt.Errorf("encryption key %d is %d bytes, want 32 (AES-256)", i+1, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(key)
		s.keys = append(s.keys, sealKey{id: hex.EncodeToString(sum[:4]), aead: aead})
	}
	return s, nil
}

// LoadSealer reads a key file: one base64 32-byte key per line, the one
// that encrypts first; empty lines and lines starting with # are ignored.
// Make a key with `head -c 32 /dev/urandom | base64`.
func LoadSealer(path string) (*Sealer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	var keys [][]byte
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("encryption key file %s line %d is not base64 (make a key with `head -c 32 /dev/urandom | base64`)", path, n+1)
		}
		keys = append(keys, key)
	}
	s, err := NewSealer(keys...)
	if err != nil {
		return nil, fmt.Errorf("encryption key file %s: %w", path, err)
	}
	return s, nil
}

// seal encrypts one secret value with the first key.
func (s *Sealer) seal(_ string, v any) (any, error) {
	if str, ok := v.(string); ok && strings.HasPrefix(str, sealedPrefix) {
		return v, nil
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	k := s.keys[0]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	sealed := k.aead.Seal(nonce, nonce, plain, nil)
	return sealedPrefix + k.id + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// open decrypts a sealed value; values that are not sealed pass (data
// written before encryption was turned on).
func (s *Sealer) open(_ string, v any) (any, error) {
	str, ok := v.(string)
	if !ok || !strings.HasPrefix(str, sealedPrefix) {
		return v, nil
	}
	if s == nil {
		return nil, ErrSealed
	}
	id, payload, ok := strings.Cut(strings.TrimPrefix(str, sealedPrefix), ":")
	if !ok {
		return nil, errors.New("malformed encrypted secret")
	}
	for _, k := range s.keys {
		if k.id != id {
			continue
		}
		raw, err := base64.RawStdEncoding.DecodeString(payload)
		if err != nil || len(raw) < k.aead.NonceSize() {
			return nil, errors.New("malformed encrypted secret")
		}
		plain, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], nil)
		if err != nil {
			return nil, fmt.Errorf("encrypted secret does not decrypt with key %s: %w", id, err)
		}
		var out any
		if err := json.Unmarshal(plain, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w (key id %s)", ErrSealed, id)
}

// isSealed reports whether stored JSON holds encrypted secrets.
func isSealed(value []byte) bool { return bytes.Contains(value, []byte(`"`+sealedPrefix)) }

// sealObject returns obj with its secrets encrypted, leaving obj alone.
func (s *Store) sealObject(k api.Kind, obj api.Object) (api.Object, error) {
	if s.sealer == nil || !api.HasSecrets(k) {
		return obj, nil
	}
	sealed := api.DeepCopy(obj)
	if err := api.VisitSecrets(sealed, s.sealer.seal); err != nil {
		return nil, fmt.Errorf("encrypt secrets: %w", err)
	}
	return sealed, nil
}

// openValue turns a stored value into plaintext JSON (decrypting its
// secrets), or returns it as it is when nothing in it is sealed.
func (s *Store) openValue(k api.Kind, value []byte) ([]byte, error) {
	if !isSealed(value) {
		return value, nil
	}
	obj, err := k.Decode(value)
	if err != nil {
		return nil, err
	}
	if err := api.VisitSecrets(obj, s.sealer.open); err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}
