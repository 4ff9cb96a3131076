package audit

// MarshalStored is marshalStored, for the external tests.
func (r *Report) MarshalStored() ([]byte, error) { return r.marshalStored() }
