package api

// Problem is an RFC 7807 problem document: the body of every error the
// API answers and of a watch's ERROR event. The server writes it and the
// client reads it, as this one type.
type Problem struct {
	Type      string      `json:"type"`
	Title     string      `json:"title"`
	Status    int         `json:"status"`
	Detail    string      `json:"detail"`
	Instance  string      `json:"instance"`
	Errors    FieldErrors `json:"errors,omitempty"`     // 422: which fields and why
	RequestID string      `json:"request_id,omitempty"` // 500: find it in the log
}
