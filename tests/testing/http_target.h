#ifndef AP_TESTS_TESTING_HTTP_TARGET_H_
#define AP_TESTS_TESTING_HTTP_TARGET_H_

// A local HTTP server on 127.0.0.1:0 for steps to call (cpp-httplib):
//   /echo      200, body "METHOD BODY X-Test-header" (and counts the
//              connections it was called on)
//   /status/N  answers N
//   /slow      answers after 3 s
//   /big       200 with 100,000 bytes
// Counts requests; stopped in the destructor.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace ap::testing {

class HttpTarget {
 public:
  HttpTarget() {
    server_.Get("/echo", [this](const httplib::Request& req,
                                httplib::Response& res) { Echo(req, res); });
    server_.Post("/echo", [this](const httplib::Request& req,
                                 httplib::Response& res) { Echo(req, res); });
    server_.Put("/echo", [this](const httplib::Request& req,
                                httplib::Response& res) { Echo(req, res); });
    server_.Get(R"(/status/(\d+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  ++requests;
                  res.status = std::stoi(req.matches[1]);
                  res.set_content("status", "text/plain");
                });
    server_.Get("/slow",
                [this](const httplib::Request&, httplib::Response& res) {
                  ++requests;
                  for (int i = 0; i < 30 && !stopping_; ++i) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                  }
                  res.set_content("late", "text/plain");
                });
    server_.Get("/big",
                [this](const httplib::Request&, httplib::Response& res) {
                  ++requests;
                  res.set_content(std::string(100000, 'b'), "text/plain");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~HttpTarget() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  std::atomic<int> requests{0};
  // The client ports /echo was called from: one per connection.
  size_t connections() {
    std::lock_guard<std::mutex> l(mu_);
    return client_ports_.size();
  }

 private:
  void Echo(const httplib::Request& req, httplib::Response& res) {
    ++requests;
    {
      std::lock_guard<std::mutex> l(mu_);
      client_ports_.insert(req.remote_port);
    }
    res.set_content(
        req.method + " " + req.body + " " + req.get_header_value("X-Test"),
        "text/plain");
  }

  std::mutex mu_;
  std::set<int> client_ports_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_HTTP_TARGET_H_
