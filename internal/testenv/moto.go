package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// One moto_server serves a whole test binary (it takes seconds to start);
// each test resets it. RunWithMoto stops it when the tests are done.
var moto struct {
	once   sync.Once
	url    string
	cmd    *exec.Cmd
	exited chan error // cmd.Wait's result; only that goroutine waits
	err    error
}

// Moto starts moto_server (AWS's emulator) on first use, resets its state
// (POST /moto-api/reset) and returns its URL. A missing moto_server skips
// locally and fails under CI=true. Use RunWithMoto in TestMain.
func Moto(t testing.TB) string {
	t.Helper()
	bin := Tool(t, "moto_server", "tools")
	moto.once.Do(func() { moto.url, moto.cmd, moto.exited, moto.err = startMoto(bin) })
	if moto.err != nil {
		t.Fatal(moto.err)
	}
	resp, err := http.Post(moto.url+"/moto-api/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return moto.url
}

// RunWithMoto runs the tests and then stops the shared moto_server:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m)) }
func RunWithMoto(m interface{ Run() int }) int {
	code := m.Run()
	if moto.cmd != nil {
		_ = moto.cmd.Process.Kill()
		<-moto.exited
	}
	return code
}

func startMoto(bin string) (string, *exec.Cmd, chan error, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", nil, nil, err
	}
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// A separate process says it is ready only by answering.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if resp, err := http.Get(u + "/moto-api/"); err == nil {
			resp.Body.Close()
			return u, cmd, exited, nil
		}
		select {
		case err := <-exited:
			return "", nil, nil, fmt.Errorf("moto_server exited (%v): %s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = cmd.Process.Kill()
	<-exited
	return "", nil, nil, fmt.Errorf("moto_server did not answer within 60s: %s", out.String())
}
