#include "aggregator/service/node_service.h"

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"
#include "grpcpp/server_context.h"

namespace ap {
namespace {}  // namespace

absl::StatusOr<std::string> NodeServiceImpl::Authenticate(
    const grpc::ServerContext* ctx, const std::string& claimed) {
  auto it = ctx->client_metadata().find("authorization");
  const std::string header =
      it == ctx->client_metadata().end()
          ? ""
          : std::string(it->second.data(), it->second.size());
  AP_ASSIGN_OR_RETURN(std::string id,
                      credentials_->AuthenticateOperator(header));
  if (claimed != id) {
    return absl::PermissionDeniedError(
        absl::StrCat("operator_id: \"", claimed,
                     "\" does not match the token's operator (", id, ")"));
  }
  return id;
}

grpc::Status NodeServiceImpl::Ping(grpc::ServerContext* ctx,
                                   const v1::PingRequest* req,
                                   v1::PingResponse* resp) {
  absl::StatusOr<std::string> id = Authenticate(ctx, req->operator_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  dispatcher_->Ping(*req);
  if (metrics_) metrics_->OnPing();
  *resp->mutable_server_time() = ToProtoTimestamp(clock_->TimeNow());
  *resp->mutable_ping_interval() = ToProtoDuration(options_.ping_interval);
  *resp->mutable_heartbeat_interval() =
      ToProtoDuration(options_.heartbeat_interval);
  resp->set_aggregator_id(options_.aggregator_id);
  return grpc::Status::OK;
}

grpc::Status NodeServiceImpl::Sync(
    grpc::ServerContext* ctx, const v1::SyncRequest* req,
    grpc::ServerWriter<v1::NodeMessage>* writer) {
  absl::StatusOr<std::string> id = Authenticate(ctx, req->operator_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  if (const absl::Duration wait = connects_.Admit(*id);
      wait > absl::ZeroDuration()) {
    const int64_t ms = absl::ToInt64Milliseconds(wait) + 1;
    ctx->AddTrailingMetadata("retry-after-ms", std::to_string(ms));
    LogEvent(spdlog::level::warn, "sync_rate_limited",
             {{"operator", *id}, {"retry_after_ms", ms}});
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("too many Sync connects from ", *id,
                                     "; retry in ", ms, " ms"));
  }
  std::shared_ptr<Session> session =
      dispatcher_->Connect(*id, req->version(), req->capacity());
  LogEvent(spdlog::level::info, "operator_connected",
           {{"operator", *id},
            {"version", req->version()},
            {"capacity", req->capacity()},
            {"peer", ctx->peer()}});
  const size_t assigned = dispatcher_->DispatchPending();
  if (metrics_) metrics_->OnAssigned(assigned);
  uint64_t heartbeats = 0;
  const char* ended = "stream closed";
  while (!ctx->IsCancelled()) {
    v1::NodeMessage m;
    const absl::Time deadline = clock_->TimeNow() + options_.heartbeat_interval;
    if (!session->Next(clock_, deadline, &m)) {
      if (session->closed()) {
        ended = "replaced or drained";
        break;
      }
      v1::Heartbeat* hb = m.mutable_heartbeat();
      *hb->mutable_server_time() = ToProtoTimestamp(clock_->TimeNow());
      hb->set_sequence(++heartbeats);
    }
    if (!writer->Write(m)) {
      LogEvent(spdlog::level::warn, "sync_send_failed", {{"operator", *id}});
      // Not sent: Disconnect hands an assignment back at once.
      if (m.has_assignment()) session->Requeue(std::move(m));
      if (metrics_) metrics_->OnStreamSendFailed();
      ended = "send failed";
      break;
    }
  }
  if (dispatcher_->Disconnect(session) > 0) {
    const size_t assigned = dispatcher_->DispatchPending();
    if (metrics_) metrics_->OnAssigned(assigned);
  }
  LogEvent(
      spdlog::level::info, "operator_disconnected",
      {{"operator", *id}, {"reason", ctx->IsCancelled() ? "canceled" : ended}});
  return grpc::Status::OK;
}

grpc::Status NodeServiceImpl::Report(grpc::ServerContext* ctx,
                                     const v1::ReportRequest* req,
                                     v1::ReportResponse* resp) {
  absl::StatusOr<std::string> id = Authenticate(ctx, req->operator_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  // PENDING: the operator hands back an attempt it will not start.
  const bool hand_back = req->status() == v1::EXECUTION_STATUS_PENDING;
  absl::StatusOr<v1::ReportResponse> r =
      hand_back ? ledger_->HandBack(*id, req->execution_id(), req->attempt())
                : ledger_->Report(*id, *req);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *r;
  if (metrics_) metrics_->OnReport(r->result(), req->status());
  // Only an accepted outcome frees the slot: a stale one may be about an
  // execution that now runs elsewhere.
  if ((hand_back || IsTerminal(req->status())) &&
      r->result() == v1::REPORT_RESULT_ACCEPTED) {
    dispatcher_->Released(req->execution_id());
    const size_t assigned = dispatcher_->DispatchPending();
    if (metrics_) metrics_->OnAssigned(assigned);
  }
  return grpc::Status::OK;
}

}  // namespace ap
