// The operator's link over real gRPC on 127.0.0.1 against a Node service
// that misbehaves on purpose: its Sync streams stay open but never carry a
// message (a hung aggregator, or a half-open connection). Real clock with
// short intervals; waits are bounded.

#include <atomic>
#include <memory>
#include <thread>

#include "ap/v1/node.grpc.pb.h"
#include "common/proto_time.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "operator/link/grpc_stub.h"
#include "operator/link/link.h"

namespace ap {
namespace {

class SilentNode final : public v1::Node::Service {
 public:
  grpc::Status Ping(grpc::ServerContext*, const v1::PingRequest*,
                    v1::PingResponse* resp) override {
    *resp->mutable_ping_interval() = ToProtoDuration(absl::Seconds(5));
    *resp->mutable_heartbeat_interval() =
        ToProtoDuration(absl::Milliseconds(100));
    resp->set_aggregator_id("silent");
    return grpc::Status::OK;
  }
  grpc::Status Sync(grpc::ServerContext* ctx, const v1::SyncRequest*,
                    grpc::ServerWriter<v1::NodeMessage>*) override {
    ++syncs;
    while (!ctx->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    return grpc::Status::CANCELLED;
  }
  std::atomic<int> syncs{0};
};

class NullHandler : public LinkHandler {
 public:
  void FillPing(v1::PingRequest*) override {}
  void FillSync(v1::SyncRequest*) override {}
  void OnAssignment(const v1::Assignment&) override {}
  void OnCancel(const v1::Cancel&) override {}
  void OnLinked() override {}
};

TEST(LinkGrpcTest, AStreamThatStaysSilentIsDetectedAndReopened) {
  SilentNode node;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&node);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  GrpcStubFactory stubs("token", ClientTls{});
  NullHandler handler;
  LinkOptions options;
  options.endpoints = {"127.0.0.1:" + std::to_string(port)};
  options.operator_id = "op-1";
  Link link(options, &stubs, Clock::Real(), &handler);
  std::thread run([&] { link.Run(); });

  // 3 silent heartbeat intervals (300 ms) make a stream stale.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (node.syncs.load() < 3 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  link.Stop();
  run.join();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  EXPECT_GE(node.syncs.load(), 3);
  EXPECT_GE(link.status().stale_streams, 2);
  EXPECT_EQ(link.status().ping_failures, 0);
}

// Answers ReportBatch: the first report ACCEPTED, every other refused.
class BatchNode final : public v1::Node::Service {
 public:
  grpc::Status ReportBatch(grpc::ServerContext*,
                           const v1::ReportBatchRequest* req,
                           v1::ReportBatchResponse* resp) override {
    for (int i = 0; i < req->reports_size(); ++i) {
      v1::ReportBatchResult* r = resp->add_results();
      if (i == 0) {
        r->mutable_response()->set_result(v1::REPORT_RESULT_ACCEPTED);
      } else {
        r->set_error_code(grpc::StatusCode::INVALID_ARGUMENT);
        r->set_error_message("attempt: must be at least 1");
      }
    }
    return grpc::Status::OK;
  }
};

// Starts `service` on 127.0.0.1 and returns its address.
std::string Serve(grpc::Service* service,
                  std::unique_ptr<grpc::Server>* server) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(service);
  *server = builder.BuildAndStart();
  return "127.0.0.1:" + std::to_string(port);
}

TEST(LinkGrpcTest, ReportBatchAnswersEachReportWithItsResultOrError) {
  BatchNode node;
  std::unique_ptr<grpc::Server> server;
  const std::string address = Serve(&node, &server);
  GrpcStubFactory stubs("token", ClientTls{});
  auto answers = stubs.Connect(address)->ReportBatch(
      {v1::ReportRequest(), v1::ReportRequest()}, absl::Seconds(5));
  ASSERT_TRUE(answers.ok()) << answers.status();
  ASSERT_EQ(answers->size(), 2u);
  ASSERT_TRUE((*answers)[0].ok());
  EXPECT_EQ((*answers)[0]->result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ((*answers)[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*answers)[1].status().message(), "attempt: must be at least 1");
  server->Shutdown();
}

// What the flusher takes as "report one at a time instead".
TEST(LinkGrpcTest, ReportBatchIsUnimplementedOnAnAggregatorWithoutIt) {
  SilentNode node;
  std::unique_ptr<grpc::Server> server;
  const std::string address = Serve(&node, &server);
  GrpcStubFactory stubs("token", ClientTls{});
  auto answers = stubs.Connect(address)->ReportBatch({v1::ReportRequest()},
                                                     absl::Seconds(5));
  EXPECT_EQ(answers.status().code(), absl::StatusCode::kUnimplemented);
  server->Shutdown();
}

}  // namespace
}  // namespace ap
