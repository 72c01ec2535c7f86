package webrtc

// CheckConfig applies c's defaults and returns what NewCoordinator would
// refuse it for.
func CheckConfig(c Config) error {
	st, err := c.withDefaults()
	if st != nil {
		_ = st.close()
	}
	return err
}
