// The previous msgpack-c based codec (reference_codec.cpp), the oracle of the equivalence tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/codec.hpp"

namespace settle::protocol::reference {

decode_status decode_request(std::string_view body, request& out, std::string& error_message);
void encode_response(const response& resp, std::vector<char>& out);
void encode_request(const request& req, std::vector<char>& out);
bool decode_response(std::string_view body, response& out, std::string& error_message);
bool valid_account_id(std::string_view);
bool valid_currency(std::string_view);
bool valid_txn_id(std::string_view);
bool valid_partner_id(std::string_view);

}  // namespace settle::protocol::reference
