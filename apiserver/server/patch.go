package server

// mergePatch applies an RFC 7386 JSON merge patch to target: objects merge
// recursively, null removes a key, anything else replaces.
func mergePatch(target, patch any) any {
	patchObj, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	targetObj, ok := target.(map[string]any)
	if !ok {
		targetObj = map[string]any{}
	}
	for key, value := range patchObj {
		if value == nil {
			delete(targetObj, key)
			continue
		}
		targetObj[key] = mergePatch(targetObj[key], value)
	}
	return targetObj
}
