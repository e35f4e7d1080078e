package infra

import (
	"strings"
	"testing"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"
	"github.com/stretchr/testify/require"
)

// The window open now, else the next: Sunday 03:00 UTC, 4 hours long.
func TestMaintenanceWindowCurrent(t *testing.T) {
	w := parseWindow(&ionoscloud.KubernetesMaintenanceWindow{DayOfTheWeek: ionoscloud.PtrString("Sunday"), Time: ionoscloud.PtrString("03:00:00Z")})
	require.NotNil(t, w)
	sun := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		now       time.Time
		start     time.Time
		open      bool
		situation string
	}{
		{sun.Add(-time.Second), sun, false, "a second before"},
		{sun, sun, true, "at the start"},
		{sun.Add(3*time.Hour + 59*time.Minute), sun, true, "near the end"},
		{sun.Add(4 * time.Hour), sun.AddDate(0, 0, 7), false, "at the end: the next week's"},
		{sun.AddDate(0, 0, -3), sun, false, "on the Thursday before"},
	} {
		start, open := w.current(tc.now, 4*time.Hour)
		require.Equal(t, tc.start, start, tc.situation)
		require.Equal(t, tc.open, open, tc.situation)
	}
	require.NotNil(t, parseWindow(&ionoscloud.KubernetesMaintenanceWindow{DayOfTheWeek: ionoscloud.PtrString("monday"), Time: ionoscloud.PtrString("02:30:00")}), "time without Z")
	require.Nil(t, parseWindow(&ionoscloud.KubernetesMaintenanceWindow{DayOfTheWeek: ionoscloud.PtrString("Someday"), Time: ionoscloud.PtrString("02:30:00")}))
}

// Errors a user can cause name the field and what to do.
func TestSectionValidate(t *testing.T) {
	s := &Section{}
	errs := s.Validate()
	require.Len(t, errs, 1)
	require.Equal(t, "ionos", errs[0].Field)

	s = &Section{IONOS: &IONOSSection{RefreshInterval: 0}}
	s.ApplyDefaults()
	require.Empty(t, s.Validate())
	require.Equal(t, DefaultIONOSInterval, s.IONOS.RefreshInterval.Std())

	s.IONOS.RefreshInterval = 1e9
	errs = s.Validate()
	require.Len(t, errs, 1)
	require.Equal(t, "ionos.refresh_interval", errs[0].Field)
	require.True(t, strings.Contains(errs[0].Hint, "30s"))
}
