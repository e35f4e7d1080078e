package sandbox

// AWSInfra is a small emulator of the EC2 and ELBv2 read calls the infra
// collector sends, for what moto_server cannot produce: an impaired status
// check and an unhealthy target with its reason (and, in
// infra_aws_services.go, WAFv2, SQS, RDS, CloudWatch and Scheduler). It speaks the wire formats
// of AWS's published API reference (EC2: ec2Query, namespace
// http://ec2.amazonaws.com/doc/2016-11-15/; ELBv2: awsQuery, namespace
// http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/), so the real
// SDK decodes its answers. It ignores filters and pagination tokens: it
// answers with everything it holds, in one page.

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// AWSInstance is one EC2 instance.
type AWSInstance struct {
	ID, Name string
	State    string // pending, running, shutting-down, terminated, stopping, stopped
	// InstanceStatus and SystemStatus: ok, impaired, insufficient-data,
	// not-applicable, initializing; "" leaves the instance out of
	// DescribeInstanceStatus (as AWS does for a stopped one without
	// IncludeAllInstances).
	InstanceStatus, SystemStatus string
}

// AWSTarget is one registered target and its health.
type AWSTarget struct {
	ID                  string
	Port                int
	State, Reason, Desc string
}

// AWSTargetGroup is one ELBv2 target group.
type AWSTargetGroup struct {
	ARN, Name        string
	LoadBalancerARNs []string
	Targets          []AWSTarget
}

// AWSLoadBalancer is one ELBv2 load balancer.
type AWSLoadBalancer struct {
	ARN, Name, State string // active, provisioning, active_impaired, failed
}

// AWSInfra holds the emulated account; change it under Lock.
type AWSInfra struct {
	sync.Mutex
	Instances     []AWSInstance
	TargetGroups  []AWSTargetGroup
	LoadBalancers []AWSLoadBalancer
	// WebACLs maps an ALB's ARN to the web ACL associated with it; an ALB
	// not in it has none.
	WebACLs     map[string]string
	Queues      []AWSQueue
	DBInstances []AWSDBInstance
	Schedules   []AWSSchedule
	// Start is when queues began to grow and age; Now the clock (nil is
	// time.Now).
	Start time.Time
	Now   func() time.Time
	// Fail, when not 0, is the HTTP status every call answers.
	Fail int
}

var instanceStateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

const (
	ec2NS   = "http://ec2.amazonaws.com/doc/2016-11-15/"
	elbv2NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

type xmlState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlStatus struct {
	Status  string `xml:"status"`
	Details []struct {
		Name   string `xml:"name"`
		Status string `xml:"status"`
	} `xml:"details>item"`
}

func check(s string) xmlStatus {
	x := xmlStatus{Status: s}
	detail := map[string]string{"ok": "passed", "impaired": "failed", "initializing": "initializing", "insufficient-data": "insufficient-data"}[s]
	if detail != "" {
		x.Details = append(x.Details, struct {
			Name   string `xml:"name"`
			Status string `xml:"status"`
		}{"reachability", detail})
	}
	return x
}

func (a *AWSInfra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.Lock()
	defer a.Unlock()
	if a.Fail != 0 {
		w.WriteHeader(a.Fail)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		a.serveJSON(w, r, target)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/schedules" {
		a.serveSchedules(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	var body any
	switch act := r.PostForm.Get("Action"); act {
	case "DescribeInstances":
		type inst struct {
			InstanceID string   `xml:"instanceId"`
			State      xmlState `xml:"instanceState"`
			Tags       []xmlTag `xml:"tagSet>item"`
		}
		type resv struct {
			ReservationID string `xml:"reservationId"`
			OwnerID       string `xml:"ownerId"`
			Instances     []inst `xml:"instancesSet>item"`
		}
		out := struct {
			XMLName      xml.Name `xml:"DescribeInstancesResponse"`
			NS           string   `xml:"xmlns,attr"`
			RequestID    string   `xml:"requestId"`
			Reservations []resv   `xml:"reservationSet>item"`
		}{NS: ec2NS, RequestID: "8f7724cf-496f-496e-8fe3-example"}
		for i, in := range a.Instances {
			it := inst{InstanceID: in.ID, State: xmlState{instanceStateCodes[in.State], in.State}}
			if in.Name != "" {
				it.Tags = []xmlTag{{"Name", in.Name}}
			}
			out.Reservations = append(out.Reservations, resv{ReservationID: fmt.Sprintf("r-%017d", i+1), OwnerID: "123456789012", Instances: []inst{it}})
		}
		body = out
	case "DescribeInstanceStatus":
		type st struct {
			InstanceID     string    `xml:"instanceId"`
			Zone           string    `xml:"availabilityZone"`
			State          xmlState  `xml:"instanceState"`
			SystemStatus   xmlStatus `xml:"systemStatus"`
			InstanceStatus xmlStatus `xml:"instanceStatus"`
		}
		out := struct {
			XMLName   xml.Name `xml:"DescribeInstanceStatusResponse"`
			NS        string   `xml:"xmlns,attr"`
			RequestID string   `xml:"requestId"`
			Statuses  []st     `xml:"instanceStatusSet>item"`
		}{NS: ec2NS, RequestID: "3be1508e-c444-4fef-89cc-example"}
		for _, in := range a.Instances {
			if in.InstanceStatus == "" && in.SystemStatus == "" {
				continue
			}
			out.Statuses = append(out.Statuses, st{InstanceID: in.ID, Zone: "eu-central-1a", State: xmlState{instanceStateCodes[in.State], in.State},
				SystemStatus: check(in.SystemStatus), InstanceStatus: check(in.InstanceStatus)})
		}
		body = out
	case "DescribeTargetGroups":
		type tg struct {
			ARN      string   `xml:"TargetGroupArn"`
			Name     string   `xml:"TargetGroupName"`
			Protocol string   `xml:"Protocol"`
			Port     int      `xml:"Port"`
			LBs      []string `xml:"LoadBalancerArns>member"`
		}
		var tgs []tg
		for _, g := range a.TargetGroups {
			tgs = append(tgs, tg{g.ARN, g.Name, "HTTP", 80, g.LoadBalancerARNs})
		}
		body = elbv2Response("DescribeTargetGroups", struct {
			TargetGroups []tg `xml:"TargetGroups>member"`
		}{tgs})
	case "DescribeTargetHealth":
		arn := r.PostForm.Get("TargetGroupArn")
		type th struct {
			Port   int    `xml:"HealthCheckPort"`
			ID     string `xml:"Target>Id"`
			TPort  int    `xml:"Target>Port"`
			State  string `xml:"TargetHealth>State"`
			Reason string `xml:"TargetHealth>Reason,omitempty"`
			Desc   string `xml:"TargetHealth>Description,omitempty"`
		}
		var ths []th
		found := false
		for _, g := range a.TargetGroups {
			if g.ARN != arn {
				continue
			}
			found = true
			for _, t := range g.Targets {
				ths = append(ths, th{t.Port, t.ID, t.Port, t.State, t.Reason, t.Desc})
			}
		}
		if !found {
			elbv2Error(w, http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
			return
		}
		body = elbv2Response("DescribeTargetHealth", struct {
			Descriptions []th `xml:"TargetHealthDescriptions>member"`
		}{ths})
	case "DescribeLoadBalancers":
		type lb struct {
			ARN   string `xml:"LoadBalancerArn"`
			Name  string `xml:"LoadBalancerName"`
			Type  string `xml:"Type"`
			State string `xml:"State>Code"`
		}
		var lbs []lb
		for _, l := range a.LoadBalancers {
			lbs = append(lbs, lb{l.ARN, l.Name, "application", l.State})
		}
		body = elbv2Response("DescribeLoadBalancers", struct {
			LoadBalancers []lb `xml:"LoadBalancers>member"`
		}{lbs})
	case "DescribeDBInstances":
		body = a.describeDBInstances()
	case "GetMetricData":
		body = a.getMetricData(r.PostForm)
	case "GetCallerIdentity":
		body = getCallerIdentity()
	default:
		http.Error(w, "<Response><Errors><Error><Code>InvalidAction</Code><Message>The action "+xmlEscape(act)+" is not valid for this web service.</Message></Error></Errors></Response>", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(body)
}

// elbv2Response wraps result as <ActionResponse><ActionResult>...
func elbv2Response(action string, result any) any {
	return struct {
		XMLName  xml.Name
		NS       string `xml:"xmlns,attr"`
		Result   any
		Metadata struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}{XMLName: xml.Name{Local: action + "Response"}, NS: elbv2NS, Result: resultElem{action + "Result", result}}
}

type resultElem struct {
	name  string
	inner any
}

func (r resultElem) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(r.inner, xml.StartElement{Name: xml.Name{Local: r.name}})
}

func elbv2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>c5e5ac5e-example</RequestId></ErrorResponse>`, elbv2NS, code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	var b []byte
	w := &byteWriter{&b}
	_ = xml.EscapeText(w, []byte(s))
	return string(b)
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }
