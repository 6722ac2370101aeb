package quackpipe

import (
	"runtime"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"
)

// MockCluster is librdkafka's mock Kafka cluster, running in this process
// on loopback: producers and runners reach it with bootstrap.servers set to
// Bootstrap(). Topics a client asks for are created with 4 partitions;
// CreateTopic chooses the count. Safe for concurrent use; close it after the
// clients that use it. A test and demo fixture (quackpipe/sys/mock.h):
// outside the ABI promise, it may change in any release.
type MockCluster struct {
	owner
	h         capi.Qp_mock_cluster
	bootstrap string
}

// NewMockCluster starts a cluster of brokers brokers (1 to 16).
func NewMockCluster(brokers int) (*MockCluster, error) {
	var p uintptr
	if err := capi.Qp_mock_cluster_new(&p, brokers); err != nil {
		return nil, err
	}
	m := &MockCluster{h: capi.SwigcptrQp_mock_cluster(p)}
	own(m, &m.owner, "mock cluster", false, p, nil, func(p uintptr) {
		capi.DeleteQp_mock_cluster(capi.SwigcptrQp_mock_cluster(p))
	})
	m.bootstrap = capi.Qp_mock_cluster_bootstrap(m.h)
	runtime.KeepAlive(m)
	return m, nil
}

// Bootstrap is the cluster's bootstrap.servers value ("127.0.0.1:port,...").
func (m *MockCluster) Bootstrap() string { return m.bootstrap }

// CreateTopic creates a topic; an error matching ErrKafka if it exists.
func (m *MockCluster) CreateTopic(name string, partitions int) error {
	defer runtime.KeepAlive(m)
	return m.g.call(callNested, func() error {
		return capi.Qp_mock_cluster_create_topic(m.h, name, partitions)
	})
}

// Close stops the cluster; clients still connected see their connections
// drop. Closing twice is harmless.
func (m *MockCluster) Close() error { return m.g.close(nil, nil, m.free) }
