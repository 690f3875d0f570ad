package cmd

import (
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
)

func TestCheckShutdownDefaults(t *testing.T) {
	if err := checkShutdownDefaults(api.DefaultShutdown); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	for _, tt := range []struct {
		d    api.ShutdownDefaults
		want string
	}{
		{api.ShutdownDefaults{GraceTime: -1, Strategy: api.ShutdownDelete}, "--shutdown-grace -1"},
		{api.ShutdownDefaults{Strategy: "shrug"}, `--shutdown-failure-strategy "shrug": use delete or give_up`},
		{api.ShutdownDefaults{Strategy: api.ShutdownGiveUp, Retries: -2}, "--shutdown-retries -2"},
	} {
		if err := checkShutdownDefaults(tt.d); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want an error saying %q", tt.d, err, tt.want)
		}
	}
}
