package infra

import (
	"slices"

	"github.com/vigil-monitoring/vigil/internal/exposition"
)

var (
	lWebACL     = exposition.NewLabel("web_acl")
	lQueue      = exposition.NewLabel("queue")
	lDLQ        = exposition.NewLabel("dead_letter_queue")
	lDBInstance = exposition.NewLabel("db_instance")
	lGroup      = exposition.NewLabel("group")
	lSchedule   = exposition.NewLabel("schedule")
	lProvider   = exposition.NewLabel("provider")
	lCurrency   = exposition.NewLabel("currency")
	lAccountID  = exposition.NewLabel("account_id")
)

// renderAWSServices writes the WAF, SQS, RDS and Scheduler families over
// every account's last snapshot, then what CloudWatch cost.
func (c *Collector) renderAWSServices(t *exposition.Writer, snaps []awsSnap) {
	acct := func(s *awsSnap) { t.Label(lAccount, s.t.Name); t.Label(lRegion, s.t.Region) }
	each := func(name string, f func(s *awsSnap)) {
		t.Family(headers, name)
		for i := range snaps {
			f(&snaps[i])
		}
	}
	t.Family(headers, "vigil_infra_aws_account_info")
	seen := map[string]bool{}
	for i := range snaps {
		s := &snaps[i]
		if key := s.t.Name + "/" + s.snap.AccountID; s.snap.AccountID != "" && !seen[key] {
			seen[key] = true
			t.Series()
			t.Label(lAccount, s.t.Name)
			t.Label(lAccountID, s.snap.AccountID)
			t.Int(1)
		}
	}
	each("vigil_infra_aws_waf_web_acl_associated", func(s *awsSnap) {
		for _, w := range s.snap.WAF {
			t.Series()
			acct(s)
			t.Label(lLB, w.LoadBalancer)
			t.Bool(w.WebACL != "")
		}
	})
	each("vigil_infra_aws_waf_web_acl_info", func(s *awsSnap) {
		for _, w := range s.snap.WAF {
			if w.WebACL != "" {
				t.Series()
				acct(s)
				t.Label(lLB, w.LoadBalancer)
				t.Label(lWebACL, w.WebACL)
				t.Int(1)
			}
		}
	})
	c.renderSQS(t, each, acct)
	c.renderRDS(t, each, acct)
	each("vigil_infra_aws_scheduler_schedule_enabled", func(s *awsSnap) {
		for _, x := range s.snap.Schedules {
			t.Series()
			acct(s)
			t.Label(lGroup, x.Group)
			t.Label(lSchedule, x.Name)
			t.Bool(x.Enabled)
		}
	})
	c.renderCloudWatchCost(t)
}

type familyLoop func(name string, f func(s *awsSnap))

func (c *Collector) renderSQS(t *exposition.Writer, each familyLoop, acct func(*awsSnap)) {
	queue := func(s *awsSnap, q *queueInfo) { t.Series(); acct(s); t.Label(lQueue, q.Name) }
	each("vigil_infra_aws_sqs_messages", func(s *awsSnap) {
		for i := range s.snap.Queues {
			q := &s.snap.Queues[i]
			for _, v := range []struct {
				state string
				n     int64
			}{{"visible", q.Visible}, {"in_flight", q.InFlight}, {"delayed", q.Delayed}} {
				queue(s, q)
				t.Label(lState, v.state)
				t.Int(v.n)
			}
		}
	})
	each("vigil_infra_aws_sqs_dead_letter_queue_messages", func(s *awsSnap) {
		for i := range s.snap.Queues {
			if q := &s.snap.Queues[i]; q.DLQRead {
				queue(s, q)
				t.Label(lDLQ, q.DLQ)
				t.Int(q.DLQMessages)
			}
		}
	})
	each("vigil_infra_aws_sqs_oldest_message_age_seconds", func(s *awsSnap) {
		for i := range s.snap.Queues {
			if q := &s.snap.Queues[i]; q.HasAge {
				queue(s, q)
				t.Float(q.Age)
			}
		}
	})
	each("vigil_infra_aws_sqs_backlog_threshold_messages", func(s *awsSnap) {
		for i := range s.snap.Queues {
			queue(s, &s.snap.Queues[i])
			t.Int(int64(s.t.Select.SQS.BacklogDepth))
		}
	})
	each("vigil_infra_aws_sqs_oldest_message_age_threshold_seconds", func(s *awsSnap) {
		for i := range s.snap.Queues {
			queue(s, &s.snap.Queues[i])
			t.Float(s.t.Select.SQS.MaxMessageAge.Std().Seconds())
		}
	})
}

func (c *Collector) renderRDS(t *exposition.Writer, each familyLoop, acct func(*awsSnap)) {
	db := func(s *awsSnap, d *dbInfo) { t.Series(); acct(s); t.Label(lDBInstance, d.ID) }
	each("vigil_infra_aws_rds_instance_status", func(s *awsSnap) {
		for i := range s.snap.DBs {
			d := &s.snap.DBs[i]
			cur := d.Status
			if !slices.Contains(rdsStatuses, cur) {
				cur = "unknown"
			}
			for _, v := range rdsStatuses {
				db(s, d)
				t.Label(lStatus, v)
				t.Bool(v == cur)
			}
		}
	})
	each("vigil_infra_aws_rds_allocated_storage_bytes", func(s *awsSnap) {
		for i := range s.snap.DBs {
			db(s, &s.snap.DBs[i])
			t.Float(s.snap.DBs[i].AllocatedBytes)
		}
	})
	each("vigil_infra_aws_rds_free_storage_bytes", func(s *awsSnap) {
		for i := range s.snap.DBs {
			if d := &s.snap.DBs[i]; d.HasFree {
				db(s, d)
				t.Float(d.FreeBytes)
			}
		}
	})
	each("vigil_infra_aws_rds_free_storage_min_ratio", func(s *awsSnap) {
		for i := range s.snap.DBs {
			db(s, &s.snap.DBs[i])
			t.Float(s.t.Select.RDS.FreeStorageMinRatio)
		}
	})
}

// renderCloudWatchCost writes the metrics asked per account and region,
// and their cost per account (the label set of
// vigil_billing_exporter_cost_total, so the two add up).
func (c *Collector) renderCloudWatchCost(t *exposition.Writer) {
	t.Family(headers, "vigil_infra_aws_cloudwatch_metrics_requested_total")
	var names []string
	perAccount := map[string]int64{}
	for _, a := range c.aws {
		n := a.metricsRequested.Load()
		t.Series()
		t.Label(lAccount, a.target.Name)
		t.Label(lRegion, a.target.Region)
		t.Int(n)
		if _, ok := perAccount[a.target.Name]; !ok {
			names = append(names, a.target.Name)
		}
		perAccount[a.target.Name] += n
	}
	t.Family(headers, "vigil_infra_exporter_cost_total")
	for _, n := range names {
		t.Series()
		t.Label(lProvider, "aws")
		t.Label(lAccount, n)
		t.Label(lCurrency, "USD")
		t.Float(float64(perAccount[n]) * cloudWatchUSDPerMetric)
	}
}
